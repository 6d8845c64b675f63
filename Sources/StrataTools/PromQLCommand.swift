import ArgumentParser
import Foundation
import StrataCore
import StrataPromQL
import StrataQuery
import StrataStore
import StrataTSDB
import Synchronization

/// `strata promql`: run PromQL test scripts and evaluate queries over local data.
public struct PromQLCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "promql",
        abstract: "PromQL tools: run Prometheus test scripts, evaluate queries over local data.",
        subcommands: [PromQLTestCommand.self, PromQLEvalCommand.self]
    )

    public init() {}
}

/// `strata promql test <files or dirs>...`: prints each failure and a final `N passed, M failed`.
/// `--promql-compat` picks the release: 3.14 runs the 3.x script language (expect lines, range
/// evals) in 3.14 semantics, 2.42 runs that release's scripts in its semantics.
public struct PromQLTestCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run Prometheus PromQL test scripts (load / clear / eval instant|range ...)."
    )

    @Argument(help: "Test script files (*.test), or directories of them.")
    public var files: [String]

    @Option(name: .customLong("promql-compat"), help: "3.14 (default: 3.x scripts and semantics) or 2.42 (that release's scripts and semantics).")
    public var promqlCompat: String = "3.14"

    public init() {}

    /// The files to run: each argument, a directory standing for its `*.test` files in name order.
    static func scripts(_ args: [String]) -> [String] {
        args.flatMap { path -> [String] in
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return [path] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { $0.hasSuffix(".test") }.sorted().map { (path as NSString).appendingPathComponent($0) }
        }
    }

    public func run() throws {
        let files = Self.scripts(self.files)
        let compat = try PromQLCompat.fromFlag(promqlCompat)
        let (passed, failed) = try runBlocking { () async throws -> (Int, Int) in
            var passed = 0, failed = 0
            for file in files {
                let text: String
                do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                    print("\(file): cannot read: \(error)")
                    failed += 1
                    continue
                }
                let (p, lines) = await Self.runScript(text, compat: compat)
                for l in lines { print("\(file):\(l)") }
                let f = lines.count
                if (file as NSString).lastPathComponent == "start_timestamps.test" {
                    print("start_timestamps.test: \(p) passed, \(f) failed")
                }
                passed += p
                failed += f
            }
            return (passed, failed)
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }

    /// Passed count and one `line: message` per failure (a script that does not parse is one).
    static func runScript(_ text: String, compat: PromQLCompat) async -> (Int, [String]) {
        switch compat {
        case .v2_42:
            let script: TestScript
            do { script = try TestScript(parsing: text) } catch { return (0, [" \(error)"]) }
            let outcome = await script.run()
            return (outcome.passed, outcome.failures.map { "\($0.line): \($0.message)" })
        case .v3_14:
            let script: TestScript3
            do { script = try TestScript3(parsing: text) } catch { return (0, [" \(error)"]) }
            let outcome = await script.run()
            return (outcome.passed, outcome.failures.map { "\($0.line): [\($0.category.rawValue)] \($0.message)" })
        }
    }
}

/// `strata promql eval '<expr>' --data <file>`: prints the Prometheus API JSON response.
public struct PromQLEvalCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a PromQL expression over OpenMetrics text or TSDB blocks; print Prometheus API JSON."
    )

    @Argument(help: "The PromQL expression.")
    public var expr: String

    @Option(help: "The data: an OpenMetrics text file (timestamps in seconds), a block directory, or a directory of blocks.")
    public var data: String

    @Option(help: "Evaluation time of an instant query (Unix seconds or RFC3339); default now.")
    public var time: String?

    @Option(help: "Start of a range query (Unix seconds or RFC3339).")
    public var start: String?

    @Option(help: "End of a range query (Unix seconds or RFC3339).")
    public var end: String?

    @Option(help: "Step of a range query (duration like 15s, or seconds).")
    public var step: String?

    @Option(name: .customLong("lookback-delta"), help: "Lookback delta (default 5m).")
    public var lookbackDelta: String = "5m"

    @Option(name: .customLong("promql-compat"), help: "PromQL semantics: 3.14 (default) or 2.42.")
    public var promqlCompat: String = "3.14"

    @Option(name: .customLong("enable-feature"), help: "Experimental PromQL features (Prometheus's --enable-feature names); repeatable.")
    public var features: [String] = []

    public init() {}

    /// OpenMetrics text is loaded into memory; blocks are read through the store and
    /// querier code (`LocalBlockStore` + `StoreQueryable`), as strata-query would.
    static func queryable(_ path: String, defaultTime: Int64) throws -> any Queryable {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ValidationError("--data \(path): no such file or directory")
        }
        if isDir.boolValue {
            let store = FileManager.default.fileExists(atPath: path + "/meta.json")
                ? LocalBlockStore(name: path, blocks: [try BlockReader(dir: path)])
                : try LocalBlockStore(directory: path)
            return StoreQueryable.local(store)
        }
        var store = MemoryQueryable()
        try OpenMetricsText.load(try String(contentsOfFile: path, encoding: .utf8), into: &store, defaultTime: defaultTime)
        return store
    }

    public func validate() throws {
        let rangeFlags = [start, end, step].compactMap { $0 }.count
        if rangeFlags != 0 && rangeFlags != 3 {
            throw ValidationError("--start, --end and --step go together")
        }
        if rangeFlags == 3 && time != nil { throw ValidationError("--time is for instant queries; drop it or --start/--end/--step") }
    }

    static func parseStep(_ s: String) throws -> Int64 {
        if let d = try? parseDuration(s) { return d }
        if let secs = Double(s), secs > 0 { return Int64((secs * 1000).rounded()) }
        throw ValidationError("cannot parse step \(goQuote(s)): use a duration like 15s or seconds")
    }

    public func run() throws {
        let expr = self.expr
        let lookback = try parseDuration(lookbackDelta)
        let compat = try PromQLCompat.fromFlag(promqlCompat)
        let enabled: PromQLFeatures
        do { enabled = try PromQLFeatures.parse(features) } catch { throw ValidationError("--enable-feature: \(error)") }
        let rangeQ: (Int64, Int64, Int64)?
        if let start, let end, let step {
            rangeQ = (try parseTimestamp(start), try parseTimestamp(end), try Self.parseStep(step))
        } else {
            rangeQ = nil
        }
        let instantTime = try time.map(parseTimestamp) ?? currentTimeMillis()
        let storage = try Self.queryable(data, defaultTime: rangeQ?.1 ?? instantTime)
        let json = try runBlocking { () async throws -> String in
            let engine = Engine(options: EngineOptions(lookbackDelta: lookback, compat: compat, features: enabled))
            do {
                let out: QueryOutput
                let parsed = try PromQL.parse(expr, compat: compat, features: enabled)
                if let (s, e, st) = rangeQ {
                    out = try await engine.query(storage, parsed, start: s, end: e, step: st)
                } else {
                    out = try await engine.query(storage, parsed, start: instantTime, end: instantTime, step: 0)
                }
                return ResultJSON.success(out)
            } catch let e as ParseError {
                // Prometheus's API prefixes parse errors of instant queries only.
                return ResultJSON.error(type: "bad_data", message: rangeQ == nil ? "invalid parameter \"query\": \(e)" : "\(e)")
            } catch {
                return APIError.from(error).json
            }
        }
        print(json)
        if json.hasPrefix("{\"status\":\"error\"") { throw ExitCode(1) }
    }
}
