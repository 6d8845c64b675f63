import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataTestSupport
import Testing

/// `/federate` on strata-query, every component a real process: two Prometheus 2.42 HA
/// replicas (`zreplica="a"|"b"`, `zcluster="c1"`) scraping one target with fixed values and
/// recording a rule, a strata-sidecar next to each, strata-query deduplicating `zreplica`, and
/// a third, global Prometheus 2.42 federating from strata-query with `honor_labels: true`.
///
/// The oracle is Prometheus's own `/federate` over the same series: line for line the same
/// families, label sets and value spellings (only the timestamps are the replicas' own, and
/// the replica label is deduplicated away); and the global Prometheus stores exactly the
/// series and values strata-query exposed.
@Suite(.serialized) struct FederationTests {
    /// The target's exposition: values whose spelling is easy to get wrong (Go's `%g`:
    /// exponents from 1e+06 on and below 1e-04, `NaN`, `+Inf`, a negative zero), escapes in a
    /// label value, a label name sorting before `__name__`.
    static let target = """
        # TYPE fed_value gauge
        fed_value{kind="int"} 42
        fed_value{kind="million"} 1e+06
        fed_value{kind="under_million"} 999999
        fed_value{kind="big"} 12345678901
        fed_value{kind="frac"} 0.1
        fed_value{kind="tiny"} -1.5e-07
        fed_value{kind="small"} 0.0001
        fed_value{kind="nan"} NaN
        fed_value{kind="inf"} +Inf
        fed_value{kind="negzero"} -0
        fed_value{kind="quote",text="a\\"b\\\\c\\nd"} 1
        # TYPE fed_requests_total counter
        fed_requests_total{Zone="z",kind="c"} 17

        """

    static let rules = """
        groups:
        - name: fed
          rules:
          - record: fed:value:sum
            expr: sum(fed_value{kind="int"})

        """

    static let match = "match%5B%5D=" + urlEncode("{__name__=~\"fed.*\"}")

    static func get(_ url: String, accept: String? = nil) async throws -> (Int, String, String) {
        var req = URLRequest(url: URL(string: url)!)
        if let accept { req.setValue(accept, forHTTPHeaderField: "Accept") }
        let (data, resp) = try await URLSession.shared.data(for: req)
        let http = resp as? HTTPURLResponse
        return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "Content-Type") ?? "", String(decoding: data, as: UTF8.self))
    }

    /// A sample line as a comparable value: metric name, the set of `name="value"` pairs (in
    /// whatever order they were written) and the value's spelling; the timestamp apart.
    struct Line: Hashable, CustomStringConvertible {
        var name: String
        var labels: Set<String>
        var value: String
        var description: String { "\(name){\(labels.sorted().joined(separator: ","))} \(value)" }
    }

    /// Splits `name{a="x",b="y"} value timestamp` (quotes and escapes in values respected).
    static func parse(_ line: Substring) -> (Line, Int64)? {
        guard let brace = line.firstIndex(of: "{") else { return nil }
        var labels = Set<String>(), current = "", inQuote = false, escape = false
        var i = line.index(after: brace)
        while i < line.endIndex {
            let c = line[i]
            i = line.index(after: i)
            if escape { current.append(c); escape = false; continue }
            if inQuote && c == "\\" { current.append(c); escape = true; continue }
            if c == "\"" { inQuote.toggle() }
            if !inQuote && (c == "," || c == "}") {
                labels.insert(current)
                current = ""
                if c == "}" { break }
                continue
            }
            current.append(c)
        }
        let rest = line[i...].split(separator: " ")
        guard rest.count == 2, let t = Int64(rest[1]) else { return nil }
        return (Line(name: String(line[..<brace]), labels: labels, value: String(rest[0])), t)
    }

    /// The `# TYPE` lines, in order, and every sample line with its timestamp.
    static func exposition(_ text: String, dropping drop: String = "") -> ([String], [Line: Int64]) {
        var types: [String] = [], lines: [Line: Int64] = [:]
        for l in text.split(separator: "\n") {
            if l.hasPrefix("# TYPE ") { types.append(String(l)); continue }
            guard let (parsed, t) = parse(l) else { continue }
            var line = parsed
            line.labels.remove(drop)
            lines[line] = t
        }
        return (types, lines)
    }

    @Test(.timeLimit(.minutes(4))) func federatesTheFleetAsPrometheusDoes() async throws {
        guard let target = try await FleetTargets.staticTarget(Self.target) else { return }
        defer { target.stop() }
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        let rulesPath = TestEnv.tempDir("fed-rules") + "/rules.yml"
        try Self.rules.write(toFile: rulesPath, atomically: true, encoding: .utf8)
        var proms: [PrometheusServer] = []
        var endpoints: [String] = []
        for replica in ["a", "b"] {
            guard let p = try PrometheusServer.start(blocks: [], externalLabels: ["zcluster": "c1", "zreplica": replica],
                                                     scrapeTargets: ["static": "127.0.0.1:\(target.port)"], ruleFiles: [rulesPath]) else { return }
            proms.append(p)
            stack.servers.append(p)
            let grpc = "127.0.0.1:\(try freePort())"
            endpoints += ["--endpoint", grpc]
            _ = try stack.start("strata-sidecar", ["--tsdb.path", p.dataDir, "--prometheus.url", p.url, "--grpc-address", grpc,
                                                   "--http-address", "127.0.0.1:\(try freePort())"])
        }
        let queryPort = try freePort()
        let q = "http://127.0.0.1:\(queryPort)"
        _ = try stack.start("strata-query", endpoints + ["--query.replica-label", "zreplica", "--store.sd-interval", "1s",
                                                         "--http-address", "127.0.0.1:\(queryPort)", "--grpc-address", "127.0.0.1:\(try freePort())"])
        guard let global = try PrometheusServer.start(blocks: [], externalLabels: [:], scrapeConfigs: [
            "{job_name: federate, honor_labels: true, metrics_path: /federate, scrape_interval: 1s, params: {'match[]': ['{__name__=~\"fed.*\"}']}, static_configs: [{targets: ['127.0.0.1:\(queryPort)']}]}",
        ]) else { return }
        stack.servers.append(global)

        // Every target series and the rule's result, through strata-query and from each
        // replica itself (a replica's first scrape and evaluation may come seconds after the other's).
        let want = Self.target.split(separator: "\n").filter { !$0.hasPrefix("#") }.count + 1
        var ours = ""
        let complete = await waitForAsync(60) {
            for p in proms where Self.exposition((try? await Self.get(p.url + "/federate?" + Self.match).2) ?? "").1.count != want { return false }
            ours = (try? await Self.get(q + "/federate?" + Self.match).2) ?? ""
            return Self.exposition(ours).1.count == want
        }
        #expect(complete, "\(ours)\n\(stack.logs())")

        // Prometheus's own answer for the same selector, per replica: the same lines once the
        // replica label is gone (strata-query deduplicated it), with the same families in the
        // same order, and each timestamp one of the replicas' own.
        var (ourTypes, ourLines) = Self.exposition(ours)
        var theirs: [(types: [String], lines: [Line: Int64])] = []
        for (p, replica) in zip(proms, ["a", "b"]) {
            theirs.append(Self.exposition(try await Self.get(p.url + "/federate?" + Self.match).2, dropping: "zreplica=\"\(replica)\""))
        }
        // A scrape may land between the reads: read ours again until its timestamps are ones
        // the replicas had (each replica scrapes and evaluates every second).
        for _ in 0..<5 {
            let stale = ourLines.filter { line, t in !theirs.contains { $0.lines[line] == t } }
            if stale.isEmpty { break }
            for (p, replica) in zip(proms, ["a", "b"]) {
                let r = Self.exposition(try await Self.get(p.url + "/federate?" + Self.match).2, dropping: "zreplica=\"\(replica)\"")
                theirs[replica == "a" ? 0 : 1] = r
            }
            (ourTypes, ourLines) = Self.exposition(try await Self.get(q + "/federate?" + Self.match).2)
        }
        for t in theirs {
            #expect(t.types == ourTypes)
            #expect(Set(t.lines.keys) == Set(ourLines.keys), "Prometheus: \(t.lines.keys.sorted { "\($0)" < "\($1)" })\nStrata: \(ours)")
        }
        #expect(ourLines.contains { $0.key.name == "fed:value:sum" && $0.key.labels == ["zcluster=\"c1\"", "instance=\"\""] && $0.key.value == "42" })
        for (line, t) in ourLines {
            #expect(theirs.contains { $0.lines[line] == t }, "\(line) at \(t) is no replica's sample")
        }
        #expect(!ours.contains("zreplica"), "\(ours)")

        // The global Prometheus stored what strata-query exposed: every series (the empty
        // `instance` meaning none), every value.
        var stored: [String: Double] = [:]
        let scraped = await waitForAsync(30) {
            let body = (try? await Self.get(global.url + "/api/v1/query?query=" + urlEncode("{__name__=~\"fed.*\"}")).2) ?? ""
            stored = [:]
            for s in (try? JSONValue(parsing: body))?["data"]?["result"]?.arrayValue ?? [] {
                let labels = (s["metric"]?.objectValue ?? []).filter { $0.key != "__name__" }.map { "\($0.key)=\"\($0.value.stringValue ?? "")\"" }
                let key = (s["metric"]?["__name__"]?.stringValue ?? "") + "{" + labels.sorted().joined(separator: ",") + "}"
                stored[key] = Double(s["value"]?.arrayValue?.last?.stringValue ?? "")
            }
            return stored.count == want
        }
        #expect(scraped, "\(stored)")
        for line in ourLines.keys {
            // The API escapes values as JSON, the exposition as Go strings: the escaped label is compared by presence.
            let labels = line.labels.filter { $0 != "instance=\"\"" && !$0.hasPrefix("text=") }
            let match = stored.first { key, _ in
                key.hasPrefix(line.name + "{") && labels.allSatisfy { key.contains($0) } && key.contains("text=") == line.labels.contains { $0.hasPrefix("text=") }
            }
            let v = Double(line.value == "+Inf" ? "inf" : line.value)
            #expect(match != nil && (match!.value == v || (match!.value.isNaN && v?.isNaN == true)), "\(line): \(String(describing: match))")
        }

        // Bad selectors are refused as Prometheus refuses them; no selector is an empty answer.
        let bad = try await Self.get(q + "/federate?match%5B%5D=" + urlEncode("fed_value{"))
        #expect(bad.0 == 400 && bad.1.hasPrefix("text/plain"), "\(bad)")
        let none = try await Self.get(q + "/federate")
        #expect(none.0 == 200 && none.2.isEmpty, "\(none)")
        #expect(try await Self.get(q + "/federate?" + Self.match).1.hasPrefix("text/plain; version=0.0.4"))
    }
}
