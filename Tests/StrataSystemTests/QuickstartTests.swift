import Foundation
import StrataTestSupport
import Testing

/// `deploy/local/quickstart.sh` as a user runs it (with the test build and a smaller history
/// to stay fast): everything comes up, the printed query answers with data from the bucket,
/// and `quickstart.sh stop` stops every process it started.
@Suite(.serialized) struct QuickstartTests {
    @Test(.timeLimit(.minutes(5))) func quickstartStartsAnswersAndStops() async throws {
        guard try TestEnv.require("prometheus", hint: "apt-get install prometheus") != nil else { return }
        let dir = TestEnv.tempDir("quickstart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = TestEnv.root + "/deploy/local/quickstart.sh"
        let env = ["QUICKSTART_BUILD=debug", "QUICKSTART_DAYS=3", "QUICKSTART_SERIES=100", "STRATA_QUICKSTART_DIR=\(dir)"]
        // Foundation's Process sees a child exit when a descriptor the child inherited closes;
        // the services the script leaves running would inherit it too and keep the run alive.
        // Python's subprocess closes inherited descriptors before starting bash.
        func quickstart(_ args: [String]) throws -> TestEnv.RunResult {
            try TestEnv.run("/usr/bin/env", env + ["python3", "-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))",
                                                   "bash", script] + args, timeout: 240)
        }
        let up = try quickstart([])
        defer { _ = try? quickstart(["stop"]) }
        #expect(up.status == 0, "\(up.stdout)\n\(up.stderr)")
        #expect(up.stdout.contains("Strata is running") && up.stdout.contains("http://127.0.0.1:10909"))

        let end = Int(Date().timeIntervalSince1970)
        let q = PromQLDifferential.encode("sum by (namespace) (rate(http_requests_total[1h]))")
        let body = try await PromQLDifferential.get("http://127.0.0.1:10909/api/v1/query_range?query=\(q)&start=\(end - 3 * 86400)&end=\(end)&step=3600&max_source_resolution=auto")
        #expect(body.contains("\"status\":\"success\"") && body.contains("\"namespace\":\"prod\""), "\(body.prefix(300))")
        let compact = try String(contentsOfFile: dir + "/logs/strata-compact.log", encoding: .utf8)
        #expect(compact.contains("pass completed"))

        let down = try quickstart(["stop"])
        #expect(down.status == 0 && down.stdout.contains("stopped strata-frontend"), "\(down.stdout)\(down.stderr)")
        #expect(httpStatus(port: 10909, path: "/-/ready") == nil, "frontend still answering after stop")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/pids").isEmpty)
    }
}
