import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A dnsmasq answering on a free 127.0.0.1 port for one test, authoritative for `*.test`
/// (`local=/test/`: an unknown name there is NXDOMAIN, a name elsewhere REFUSED), with no
/// upstream and no /etc/hosts.
///
/// Measured with dnsmasq 2.90: SIGHUP re-reads the `addn-hosts` file (A and AAAA records) but
/// not the configuration, so `srv-host=` records are fixed for the server's life. Tests that
/// move endpoints keep the SRV records and change the targets' addresses with `setHosts`.
public final class DNSServer: Sendable {
    public let port: Int
    public let dir: String
    private let process: SignalableProcess

    /// `ip:port` for `--dns.nameserver`.
    public var nameserver: String { "127.0.0.1:\(port)" }
    public var log: String { (try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? "" }

    private init(port: Int, dir: String, process: SignalableProcess) {
        self.port = port
        self.dir = dir
        self.process = process
    }

    /// `config`: extra dnsmasq lines (`srv-host=...`, `address=/...`); `hosts`: the initial
    /// addn-hosts entries, `(ip, name)`. nil when dnsmasq is missing (a failure under CI).
    public static func start(config: [String] = [], hosts: [(String, String)] = []) async throws -> DNSServer? {
        guard let exe = try TestEnv.require("dnsmasq", hint: "apt-get install dnsmasq-base") else { return nil }
        let dir = TestEnv.tempDir("dnsmasq")
        let port = try freePort()
        try writeHosts(hosts, dir: dir)
        let lines = ["no-resolv", "no-hosts", "port=\(port)", "listen-address=127.0.0.1", "bind-interfaces", "local=/test/",
                     "addn-hosts=\(dir)/hosts", "pid-file=", "log-facility=\(dir)/log", "log-queries"] + config
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/dnsmasq.conf", atomically: true, encoding: .utf8)
        // Spawned with clean signal handling: SIGHUP must reach it (see `SignalableProcess`).
        let p = try SignalableProcess(exe, ["--keep-in-foreground", "--conf-file=\(dir)/dnsmasq.conf"], stderr: dir + "/log.stderr")
        let s = DNSServer(port: port, dir: dir, process: p)
        // dnsmasq answers TCP on the same port once it is up.
        let deadline = Date().addingTimeInterval(10)
        while !CacheServer.canConnect(port) {
            if !p.isRunning || Date() > deadline {
                s.stop()
                let err = (try? String(contentsOfFile: dir + "/log.stderr", encoding: .utf8)) ?? ""
                throw MissingComponent(description: "dnsmasq did not listen on 127.0.0.1:\(port) within 10 s: \(err)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return s
    }

    /// Replaces the addn-hosts entries and makes dnsmasq re-read them (SIGHUP). The reload is
    /// asynchronous: wait for the effect, bounded.
    public func setHosts(_ hosts: [(String, String)]) throws {
        try Self.writeHosts(hosts, dir: dir)
        process.signal(SIGHUP)
    }

    public var pid: Int32 { process.pid }
    public var isRunning: Bool { process.isRunning }

    /// SIGKILL (dnsmasq keeps no state); returns once it has exited.
    public func stop() { process.kill9() }

    private static func writeHosts(_ hosts: [(String, String)], dir: String) throws {
        let text = hosts.map { "\($0.0) \($0.1)\n" }.joined()
        // dnsmasq drops root for `nobody`: the file must stay world-readable.
        try text.write(toFile: dir + "/hosts", atomically: true, encoding: .utf8)
        chmod(dir + "/hosts", 0o644)
    }
}
