import Foundation
import StrataTestSupport
import Testing
import Yams

/// The documentation and the deploy files against the binaries themselves: every flag a
/// binary has is documented on its page, every flag the deploy files pass exists, every YAML
/// file parses, the quickstart script is valid bash.
@Suite struct DocsAndDeployTests {
    static let pages = ["strata-sidecar": "sidecar.md", "strata-store": "store.md", "strata-query": "query.md",
                        "strata-frontend": "frontend.md", "strata-compact": "compact.md", "strata-rule": "rule.md",
                        "strata-receive": "receive.md"]

    /// `--name` flags in a binary's `--help` (the OPTIONS section).
    static func flags(_ binary: String, _ args: [String] = []) throws -> Set<String> {
        let r = try TestEnv.run(TestEnv.binary(binary), args + ["--help"])
        var out = Set<String>()
        for line in r.stdout.split(separator: "\n") {
            let t = line.drop { $0 == " " }
            guard t.hasPrefix("-") else { continue }
            for word in t.split(separator: " ").prefix(2) {
                let w = word.trimmingCharacters(in: CharacterSet(charactersIn: ","))
                if w.hasPrefix("--") && w != "--help" && w != "--version" { out.insert(w) }
            }
        }
        return out
    }

    static func read(_ rel: String) throws -> String {
        try String(contentsOfFile: TestEnv.root + "/" + rel, encoding: .utf8)
    }

    @Test func everyServiceFlagIsDocumented() throws {
        for (binary, page) in Self.pages {
            let doc = try Self.read("docs/" + page)
            let flags = try Self.flags(binary)
            #expect(flags.count > 3, "\(binary) --help parsed")
            for f in flags.sorted() { #expect(doc.contains("`\(f)"), "\(f) of \(binary) missing from docs/\(page)") }
        }
    }

    @Test func everyToolFlagIsDocumented() throws {
        let doc = try Self.read("docs/tools.md")
        let commands = ["block dump", "block inspect", "block verify", "block rewrite", "block gen", "bucket ls", "bucket inspect",
                        "bucket upload", "bucket download", "bucket verify", "bucket mark", "bucket cleanup", "bucket web", "promql test",
                        "promql eval", "rule check", "bench xor", "bench postings", "bench promql"]
        for c in commands {
            #expect(doc.contains("`\(c)"), "strata \(c) missing from docs/tools.md")
            for f in try Self.flags("strata", c.split(separator: " ").map(String.init)).sorted() where !f.hasPrefix("--objstore.") {
                #expect(doc.contains("`\(f)") || doc.contains(" \(f)"), "strata \(c) \(f) missing from docs/tools.md")
            }
        }
    }

    /// All files under deploy/ with their paths relative to the repository.
    static func deployFiles() throws -> [String] {
        let root = TestEnv.root + "/deploy"
        let e = FileManager.default.enumerator(atPath: root)
        var out: [String] = []
        while let p = e?.nextObject() as? String { if !p.hasSuffix("/") { out.append("deploy/" + p) } }
        return out.sorted()
    }

    @Test func deployYAMLParsesAndUsesRealFlags() throws {
        let files = try Self.deployFiles()
        #expect(files.contains("deploy/kubernetes/compact-cronjob.yaml") && files.contains("deploy/systemd/strata-compact.timer"))
        var kinds: [String] = []
        for f in files where f.hasSuffix(".yml") || f.hasSuffix(".yaml") {
            for doc in try Yams.load_all(yaml: try Self.read(f)) {
                let map = try #require(doc as? [String: Any], "\(f): not a mapping")
                if let k = map["kind"] as? String { kinds.append(k) }
            }
        }
        for k in ["StatefulSet", "Deployment", "CronJob", "Secret", "Service"] { #expect(kinds.contains(k), "no \(k) in deploy/kubernetes") }
        let cron = try Self.read("deploy/kubernetes/compact-cronjob.yaml")
        #expect(cron.contains("concurrencyPolicy: Forbid"))

        // Every `--flag` given to a Strata binary in a unit or manifest exists in its --help.
        var known: [String: Set<String>] = [:]
        for binary in Self.pages.keys { known[binary] = try Self.flags(binary) }
        for f in files where f.contains("/systemd/") || f.contains("/kubernetes/") {
            var current: String?
            for line in try Self.read(f).split(separator: "\n") {
                if let b = Self.pages.keys.first(where: { line.contains("/usr/local/bin/\($0)") && !line.contains("\($0)-") }) { current = b }
                if line.contains("prometheus:v") || line.contains("[Install]") || line.hasPrefix("---") { current = nil }
                guard let b = current, let r = line.range(of: "--") else { continue }
                let flag = "--" + line[r.upperBound...].prefix { $0 != "=" && $0 != " " && $0 != "\\" && $0 != "\"" }
                #expect(known[b]!.contains(String(flag)), "\(f): \(b) has no flag \(flag)")
            }
        }
    }

    @Test func quickstartIsValidBash() throws {
        let r = try TestEnv.run("/bin/bash", ["-n", TestEnv.root + "/deploy/local/quickstart.sh"])
        #expect(r.status == 0, "\(r.stderr)")
    }
}
