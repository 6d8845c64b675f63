import Foundation

/// Starts one of the built Strata executables (`strata-sidecar`, `strata-store`, ...) as an
/// operator would; its stderr goes to a log file the test can show when something fails.
public func startService(_ binary: String, _ args: [String]) throws -> (process: Process, log: String) {
    let log = TestEnv.tempDir("\(binary)-log") + "/stderr"
    FileManager.default.createFile(atPath: log, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: TestEnv.binary(binary))
    p.arguments = args
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    try p.run()
    return (p, log)
}

/// Polls `cond` every 100 ms for up to `seconds`; true once it holds.
public func waitFor(_ seconds: Double, _ cond: () throws -> Bool) rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try cond() { return true }
        usleep(100_000)
    }
    return false
}

/// `waitFor` for async conditions (HTTP probes through URLSession): polls every 200 ms
/// without blocking a cooperative thread.
public func waitForAsync(_ seconds: Double, _ cond: () async throws -> Bool) async rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try await cond() { return true }
        try? await Task.sleep(for: .milliseconds(200))
    }
    return false
}
