import Foundation
import Logging
@testable import StrataObjStore

/// A `moto_server` process on a free 127.0.0.1 port, owned by one test.
///
/// Missing moto skips the test locally and fails it under CI=true (the callers use
/// `MotoServer.enabled` as the test's enabling condition, so under CI the test runs and
/// `start()` throws).
final class MotoServer: Sendable {
    let port: Int
    private let process: Process

    static var executable: String? { TestSupport.findExecutable("moto_server") }
    static var enabled: Bool { executable != nil || TestSupport.isCI }

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    /// `extraArgs`: e.g. `-s -c cert -k key` for HTTPS with our own certificate.
    static func start(extraArgs: [String] = []) async throws -> MotoServer {
        guard let exe = executable else {
            throw TestError("moto_server not found on PATH; install it with pip install 'moto[server]'")
        }
        let port = try TestSupport.freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["-H", "127.0.0.1", "-p", String(port)] + extraArgs
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let server = MotoServer(port: port, process: p)
        let deadline = Date().addingTimeInterval(30)
        while !TestSupport.canConnect(port: port) {
            if !p.isRunning || Date() > deadline {
                server.stop()
                throw TestError("moto_server did not start listening on 127.0.0.1:\(port) within 30 s")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return server
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    /// S3 settings for a bucket on this server (or behind a proxy on `port`).
    static func config(bucket: String, port: Int, partSize: Int64 = 5 << 20) -> S3Config {
        var c = S3Config(bucket: bucket, endpoint: "127.0.0.1:\(port)")
        c.accessKey = "AKIDEXAMPLE"
        c.secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        c.insecure = true
        c.lookupType = .path
        c.partSize = partSize
        return c
    }

    /// Creates `bucket` with a signed `PUT /<bucket>` and returns a client for it.
    func makeBucket(_ bucket: String, partSize: Int64 = 5 << 20, retry: RetryPolicy = .init(maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 100)) async throws -> S3Bucket {
        let b = try S3Bucket(config: Self.config(bucket: bucket, port: port, partSize: partSize), retry: retry)
        do {
            _ = try await b.send("create_bucket", key: "", S3Request(method: "PUT", key: nil), accept: [200])
        } catch {
            try? await b.close()
            throw error
        }
        return b
    }
}

/// Runs `body` with a fresh moto server and stops it afterwards, whatever happens.
func withMoto<T>(_ body: (MotoServer) async throws -> T) async throws -> T {
    let moto = try await MotoServer.start()
    do {
        let r = try await body(moto)
        moto.stop()
        return r
    } catch {
        moto.stop()
        throw error
    }
}
