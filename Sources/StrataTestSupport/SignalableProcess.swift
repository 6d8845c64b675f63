import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process that receives signals. Children started with Foundation's `Process`
/// from a test runner inherit its blocked-signal mask (measured: SIGHUP, SIGINT, SIGTERM and
/// most others blocked in dnsmasq's /proc/PID/status `SigBlk`), so a SIGHUP meant to reload a
/// server never arrives. This spawns with an empty mask and default dispositions.
public final class SignalableProcess: Sendable {
    public let pid: pid_t
    private let exited = Mutex(false)

    /// `stdout` and `stderr` are file paths (created or truncated).
    public init(_ executable: String, _ args: [String], stdout: String = "/dev/null", stderr: String = "/dev/null") throws {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&files, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &files, &attr, argv, environ)
        guard rc == 0 else { throw MissingComponent(description: "posix_spawn \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    public var isRunning: Bool {
        exited.withLock { exited in
            var status: Int32 = 0
            if !exited && waitpid(pid, &status, WNOHANG) == pid { exited = true }
            return !exited
        }
    }

    public func signal(_ sig: Int32) { if isRunning { kill(pid, sig) } }

    /// SIGKILL and reap; returns once it has exited.
    public func kill9() {
        guard isRunning else { return }
        kill(pid, SIGKILL)
        exited.withLock { exited in
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            exited = true
        }
    }

    deinit { kill9() }
}
