import Foundation
import StrataCore
import StrataTSDB

/// A real component a test needs is not installed. Thrown only under `CI=true`, where a
/// missing component must fail the test rather than skip it.
public struct MissingComponent: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Locations and helpers shared by the test targets: the package root, real tools on PATH,
/// the built `strata` binary, scratch directories and bounded subprocess runs.
public enum TestEnv {
    /// The package root (Sources/StrataTestSupport/… → two levels up).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static var testdata: String { root + "/testdata" }
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Path of an executable on PATH, or nil.
    public static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// An executable needed by a test: its path; nil (skip) on a developer machine without
    /// it; under CI a thrown `MissingComponent`, failing the test.
    public static func require(_ name: String, hint: String) throws -> String? {
        if let p = which(name) { return p }
        if isCI { throw MissingComponent(description: "\(name) not found on PATH: \(hint)") }
        return nil
    }

    public static func promtool() throws -> String? {
        try require("promtool", hint: "apt-get install prometheus")
    }

    /// The `strata` executable built next to the test runner.
    public static var strataBinary: String { binary("strata") }

    /// An executable of this package built next to the test runner (`strata-sidecar`, ...).
    public static func binary(_ name: String) -> String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return root + "/.build/debug/" + name
    }

    public static func tempDir(_ tag: String = "strata") -> String {
        let p = NSTemporaryDirectory() + "\(tag)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    public struct RunResult: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a process to completion (bounded by `timeout` seconds) and captures its output.
    public static func run(_ exe: String, _ args: [String], timeout: Double = 120) throws -> RunResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let outURL = URL(fileURLWithPath: tempDir("out") + "/stdout")
        let errURL = URL(fileURLWithPath: tempDir("err") + "/stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            throw TSDBError.invalidArgument("\(exe) \(args) did not finish within \(timeout)s")
        }
        // `isRunning` can read false before the child has even started (seen: empty output,
        // status 0); waiting for the exit makes the status and the output files final.
        p.waitUntilExit()
        try out.close()
        try err.close()
        return RunResult(status: p.terminationStatus,
                         stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// `promtool tsdb dump` of one block: copies it into a scratch TSDB dir with an empty WAL
    /// (promtool dump writes chunks_head/ into the dir it opens).
    public static func promtoolDump(_ promtool: String, block: String) throws -> String {
        let scratch = tempDir("promdump")
        let name = URL(fileURLWithPath: block).lastPathComponent
        try FileManager.default.copyItem(atPath: block, toPath: scratch + "/" + name)
        try FileManager.default.createDirectory(atPath: scratch + "/wal", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let r = try run(promtool, ["tsdb", "dump", scratch])
        guard r.status == 0 else { throw TSDBError.invalidArgument("promtool dump failed: \(r.stderr)") }
        return r.stdout
    }

    public static func promBlocks() throws -> [String] {
        let dir = testdata + "/prom-blocks"
        return try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { dir + "/" + $0 }
    }
}

/// `promtool tsdb dump` of a whole data dir (blocks and the head from its WAL), run on a copy
/// because promtool writes `chunks_head/` into the dir it opens; `args`: more dump flags
/// (`--min-time`, `--max-time`, `--match`).
public func promtoolDump(_ promtool: String, dataDir: String, args: [String] = []) throws -> String {
    let copy = TestEnv.tempDir("dump") + "/data"
    try FileManager.default.copyItem(atPath: dataDir, toPath: copy)
    defer { try? FileManager.default.removeItem(atPath: copy) }
    let r = try TestEnv.run(promtool, ["tsdb", "dump"] + args + [copy])
    guard r.status == 0 else { throw TSDBError.invalidArgument("promtool tsdb dump failed (\(r.status)): \(r.stderr)") }
    return r.stdout
}

/// nil when equal, else a short description of the first differing line (keeps failure
/// output readable when dumps are thousands of lines long).
public func firstDifference(_ a: String, _ b: String) -> String? {
    firstDifference(a.split(separator: "\n", omittingEmptySubsequences: false).map(String.init),
                    b.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
}

public func firstDifference(_ a: [String], _ b: [String]) -> String? {
    for i in 0..<max(a.count, b.count) {
        let x = i < a.count ? a[i] : "<end>"
        let y = i < b.count ? b[i] : "<end>"
        if x != y { return "line \(i + 1): \(x) ≠ \(y) (\(a.count) vs \(b.count) lines)" }
    }
    return nil
}

/// Parses the `{a="b", c="d"}` prefix of a dump line back into labels (Go-quoted values).
public func parseDumpLabels(_ line: String) throws -> Labels {
    let end = line.range(of: "} ", options: .backwards)!.lowerBound
    let inner = String(line[line.index(after: line.startIndex)..<end])
    var pairs: [Label] = []
    var s = Substring(inner)
    while !s.isEmpty {
        let eq = s.firstIndex(of: "=")!
        let name = String(s[..<eq]).trimmingCharacters(in: .whitespaces)
        s = s[s.index(eq, offsetBy: 2)...]
        var value = ""
        while let c = s.first, c != "\"" {
            if c == "\\" {
                s = s.dropFirst()
                switch s.first! {
                case "n": value.append("\n")
                case "t": value.append("\t")
                default: value.append(s.first!)
                }
            } else {
                value.append(c)
            }
            s = s.dropFirst()
        }
        s = s.dropFirst()
        if s.hasPrefix(", ") { s = s.dropFirst(2) }
        pairs.append(Label(name, value))
    }
    return Labels(pairs)
}
