import ArgumentParser
import Foundation
import StrataRule

/// `strata rule`: rule file tools.
struct RuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rule",
        abstract: "Rule file tools.",
        subcommands: [Check.self])

    /// `strata rule check`: validates rule files as `promtool check rules` does (and as
    /// `strata-rule` loads them, Thanos's `partial_response_strategy` included), with the same
    /// output: per file `SUCCESS: N rules found` or `FAILED:` and every problem with its line.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check rule files; exit 1 if any is invalid.")

        @Argument(help: "Rule files.") var files: [String]

        func run() throws {
            var failed = false
            for f in files {
                print("Checking \(f)")
                do {
                    let groups = try RuleFile.load(f)
                    print("  SUCCESS: \(groups.map(\.rules.count).reduce(0, +)) rules found")
                } catch {
                    failed = true
                    // promtool writes the failure to stderr, the rest to stdout.
                    FileHandle.standardError.write(Data("  FAILED:\n\(error)\n".utf8))
                }
                print("")
            }
            if failed { throw ExitCode(1) }
        }
    }
}
