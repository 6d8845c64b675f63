import Crypto
import Foundation
import Testing
@testable import StrataObjStore

/// The backends every Bucket behaviour is checked against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case filesystem, s3
    var testDescription: String { rawValue }
}

/// Runs `body` with a fresh, empty bucket of `backend` (a temp dir, or a moto server with a
/// new bucket and 5 MiB parts) and cleans up afterwards.
func withBucket(_ backend: Backend, _ body: (any Bucket) async throws -> Void) async throws {
    switch backend {
    case .filesystem:
        let dir = try TestSupport.tempDirectory("fs")
        defer { TestSupport.removeDirectory(dir) }
        try await body(try FilesystemBucket(directory: dir))
    case .s3:
        try await withMoto { moto in
            let bucket = try await moto.makeBucket("conformance")
            do {
                try await body(bucket)
                try await bucket.close()
            } catch {
                try? await bucket.close()
                throw error
            }
        }
    }
}

/// One suite, run unchanged against the filesystem bucket and against moto: the Bucket
/// contract is whatever both agree on. One test per backend so moto starts once.
@Suite("Bucket conformance")
struct ConformanceTests {
    @Test("filesystem", .timeLimit(.minutes(2)))
    func filesystem() async throws {
        try await withBucket(.filesystem) { try await Conformance.all($0) }
    }

    @Test("s3 (moto)", .enabled(if: MotoServer.enabled, "moto_server not installed"), .timeLimit(.minutes(3)))
    func s3() async throws {
        try await withBucket(.s3) { try await Conformance.all($0) }
    }
}

enum Conformance {
    static func all(_ b: any Bucket) async throws {
        try await roundTrip(b)
        try await rangedReads(b)
        try await notFound(b)
        try await listing(b)
        try await pagination(b)
        try await multipart(b)
        try await putIfAbsent(b)
        try await conditionalWrites(b)
        try await delete(b)
        try await invalidKeys(b)
        try await prefixed(b)
    }

    static func sha(_ bytes: [UInt8]) -> String { SigV4Signer.sha256Hex(bytes) }

    static func roundTrip(_ b: any Bucket) async throws {
        let data = TestSupport.bytes(300_000)
        try await b.put("rt/bytes", bytes: data)
        #expect(try await b.getBytes("rt/bytes") == data)
        #expect(try await b.exists("rt/bytes"))
        let attrs = try await b.attributes("rt/bytes")
        #expect(attrs.size == 300_000)
        #expect(abs(attrs.lastModified.timeIntervalSinceNow) < 3600)

        // Overwrite replaces.
        try await b.put("rt/bytes", bytes: Array("short".utf8))
        #expect(try await b.getBytes("rt/bytes") == Array("short".utf8))

        // From a file, and streamed back in more than one chunk.
        let dir = try TestSupport.tempDirectory("src")
        defer { TestSupport.removeDirectory(dir) }
        try TestSupport.writeFile(dir + "/f", size: 3 << 20)
        try await b.put("rt/file", file: dir + "/f")
        var chunks = 0
        var got: [UInt8] = []
        for try await c in try await b.get("rt/file") { chunks += 1; got += c }
        #expect(got.count == 3 << 20)
        #expect(chunks > 1)
        #expect(sha(got) == sha(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/f")))))

        // Keys with characters that need encoding in URLs, signatures and listings.
        let odd = ["odd/a b+c=ü%.txt", "odd/x&y<z>'q\"", "odd/tilde~_-.dot"]
        for k in odd { try await b.put(k, bytes: Array(k.utf8)) }
        for k in odd { #expect(try await b.getBytes(k) == Array(k.utf8), "key \(k)") }
        #expect(try await b.list(prefix: "odd") == odd.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        for k in odd { try await b.delete(k) }

        // Empty objects exist and read back empty.
        try await b.put("rt/empty", bytes: [])
        #expect(try await b.getBytes("rt/empty") == [])
        #expect(try await b.attributes("rt/empty").size == 0)
    }

    static func rangedReads(_ b: any Bucket) async throws {
        let data = TestSupport.bytes(1 << 20, seed: 7)
        try await b.put("range/obj", bytes: data)
        func read(_ off: Int64, _ len: Int64) async throws -> [UInt8] {
            do {
                return try await b.getRange("range/obj", offset: off, length: len).collect()
            } catch {
                Issue.record("getRange(offset: \(off), length: \(len)): \(error)")
                throw error
            }
        }
        #expect(try await read(0, 10) == Array(data[0..<10]))
        #expect(try await read(100, 1000) == Array(data[100..<1100]))
        #expect(try await read(Int64(data.count) - 5, 100) == Array(data[(data.count - 5)...]))
        #expect(try await read(1000, -1) == Array(data[1000...]))
        #expect(try await read(0, -1) == data)
        #expect(try await read(5, 0) == [])
        await #expect(throws: BucketError.self) {
            _ = try await b.getRange("range/obj", offset: Int64(data.count) + 10, length: 5).collect()
        }
        await #expect(throws: BucketError.notFound("range/missing")) {
            _ = try await b.getRange("range/missing", offset: 0, length: 10)
        }
    }

    static func notFound(_ b: any Bucket) async throws {
        await #expect(throws: BucketError.notFound("nf/missing")) { _ = try await b.get("nf/missing") }
        await #expect(throws: BucketError.notFound("nf/missing")) { _ = try await b.attributes("nf/missing") }
        #expect(try await b.exists("nf/missing") == false)
        try await b.deleteIfExists("nf/missing")
        #expect(try await b.list(prefix: "nf").isEmpty)
    }

    static func listing(_ b: any Bucket) async throws {
        for k in ["ls/a/1", "ls/a/2", "ls/a/b/c", "ls/b", "ls/c/d/e", "ls/a-b"] {
            try await b.put(k, bytes: Array(k.utf8))
        }
        #expect(try await b.list(prefix: "ls") == ["ls/a-b", "ls/a/", "ls/b", "ls/c/"])
        #expect(try await b.list(prefix: "ls/") == ["ls/a-b", "ls/a/", "ls/b", "ls/c/"])
        #expect(try await b.list(prefix: "ls/a") == ["ls/a/1", "ls/a/2", "ls/a/b/"])
        #expect(try await b.list(prefix: "ls", recursive: true)
                == ["ls/a-b", "ls/a/1", "ls/a/2", "ls/a/b/c", "ls/b", "ls/c/d/e"])
        #expect(try await b.list(prefix: "ls/none").isEmpty)
        // A directory is not an object.
        #expect(try await b.exists("ls/a") == false)
        // Early stop.
        var seen: [String] = []
        try await b.iterate(prefix: "ls", recursive: true) { seen.append($0); return seen.count < 2 }
        #expect(seen == ["ls/a-b", "ls/a/1"])
        // The root lists top-level "directories".
        #expect(try await b.list().contains("ls/"))
    }

    static func pagination(_ b: any Bucket) async throws {
        let n = 1_050
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let i = next
                next += 1
                group.addTask { try await b.put("many/k\(String(format: "%05d", i))", bytes: [UInt8(i & 0xFF)]) }
            }
            for _ in 0..<16 { add() }
            while try await group.next() != nil { if next < n { add() } }
        }
        let flat = try await b.list(prefix: "many")
        #expect(flat.count == n)
        #expect(flat == (0..<n).map { "many/k\(String(format: "%05d", $0))" })
        #expect(try await b.list(prefix: "many", recursive: true).count == n)
    }

    static func multipart(_ b: any Bucket) async throws {
        // 12 MiB + 3 bytes: three parts at the 5 MiB part size the S3 test bucket uses.
        let dir = try TestSupport.tempDirectory("mp")
        defer { TestSupport.removeDirectory(dir) }
        let size = (12 << 20) + 3
        try TestSupport.writeFile(dir + "/big", size: size, seed: 42)
        try await b.put("mp/big", file: dir + "/big")
        #expect(try await b.attributes("mp/big").size == Int64(size))
        let got = try await b.getBytes("mp/big")
        let want = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/big")))
        #expect(got.count == want.count)
        #expect(sha(got) == sha(want))
        // A range across a part boundary.
        let r = try await b.getRange("mp/big", offset: (5 << 20) - 10, length: 20).collect()
        #expect(r == Array(want[((5 << 20) - 10)..<((5 << 20) + 10)]))
        // Multipart from bytes too.
        let bytes = TestSupport.bytes((5 << 20) + 100, seed: 9)
        try await b.put("mp/bytes", bytes: bytes)
        #expect(sha(try await b.getBytes("mp/bytes")) == sha(bytes))
    }

    static func putIfAbsent(_ b: any Bucket) async throws {
        #expect(try await b.putIfAbsent("lock/owner", body: .bytes(Array("first".utf8))))
        #expect(try await b.putIfAbsent("lock/owner", body: .bytes(Array("second".utf8))) == false)
        #expect(try await b.getBytes("lock/owner") == Array("first".utf8))
        try await b.delete("lock/owner")
        #expect(try await b.putIfAbsent("lock/owner", body: .bytes(Array("third".utf8))))
        #expect(try await b.getBytes("lock/owner") == Array("third".utf8))
        // Racing creators: exactly one wins.
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask { try await b.putIfAbsent("lock/race", body: .bytes(Array("owner \(i)".utf8))) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
    }

    /// Compare-and-swap with `putIfMatch` on the ETag `getVersioned` returned: a stale or
    /// made-up ETag and a missing object refuse the write; of racing writers from one
    /// version exactly one wins; ETags are S3's quoted MD5 on both backends.
    static func conditionalWrites(_ b: any Bucket) async throws {
        try await b.put("cas/k", bytes: Array("v1".utf8))
        let v1 = try await b.getVersioned("cas/k")
        #expect(v1.bytes == Array("v1".utf8))
        #expect(v1.etag == "\"" + Insecure.MD5.hash(data: Array("v1".utf8)).map { String(format: "%02x", $0) }.joined() + "\"")
        if let e = try await b.attributes("cas/k").etag { #expect(e == v1.etag) }
        #expect(try await b.putIfMatch("cas/k", body: Array("v2".utf8), etag: "\"0123\"") == false)
        #expect(try await b.getBytes("cas/k") == Array("v1".utf8))
        #expect(try await b.putIfMatch("cas/k", body: Array("v2".utf8), etag: v1.etag))
        let v2 = try await b.getVersioned("cas/k")
        #expect(v2.bytes == Array("v2".utf8) && v2.etag != v1.etag)
        #expect(try await b.putIfMatch("cas/k", body: Array("v3".utf8), etag: v1.etag) == false, "stale ETag")
        #expect(try await b.putIfMatch("cas/missing", body: [1], etag: v1.etag) == false)
        #expect(try await b.exists("cas/missing") == false)
        await #expect(throws: BucketError.notFound("cas/missing")) { _ = try await b.getVersioned("cas/missing") }
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask { try await b.putIfMatch("cas/k", body: Array("racer \(i)".utf8), etag: v2.etag) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        try await b.checkConditionalWrites(scratchKey: "cas/check")
        #expect(try await b.exists("cas/check") == false)
        try await b.delete("cas/k")
        #expect(try await b.list(prefix: "cas").isEmpty)
    }

    static func delete(_ b: any Bucket) async throws {
        try await b.put("del/x/y/z", bytes: [1, 2, 3])
        #expect(try await b.list(prefix: "del") == ["del/x/"])
        try await b.delete("del/x/y/z")
        #expect(try await b.exists("del/x/y/z") == false)
        #expect(try await b.list(prefix: "del").isEmpty)
        #expect(!(try await b.list()).contains("del/"))
    }

    static func invalidKeys(_ b: any Bucket) async throws {
        for key in ["../escape", "a/../../escape", "/absolute", "a//b", "", "dir/"] {
            await #expect(throws: BucketError.self, "key \(key)") { try await b.put(key, bytes: [1]) }
            await #expect(throws: BucketError.self, "key \(key)") { _ = try await b.get(key) }
        }
        do {
            try await b.put("../escape", bytes: [1])
        } catch let e as BucketError {
            guard case .invalidKey = e else { Issue.record("expected invalidKey, got \(e)"); return }
        }
    }

    static func prefixed(_ b: any Bucket) async throws {
        let p = PrefixedBucket.wrap(b, prefix: "/tenant/a/")
        try await p.put("blk/meta.json", bytes: Array("{}".utf8))
        #expect(try await b.getBytes("tenant/a/blk/meta.json") == Array("{}".utf8))
        #expect(try await p.list() == ["blk/"])
        #expect(try await p.list(prefix: "blk") == ["blk/meta.json"])
        #expect(try await p.list(recursive: true) == ["blk/meta.json"])
        #expect(try await p.exists("blk/meta.json"))
        #expect(try await p.getRange("blk/meta.json", offset: 1, length: 1).collect() == Array("}".utf8))
        #expect(try await p.putIfAbsent("blk/meta.json", body: .bytes([])) == false)
        try await p.delete("blk/meta.json")
        #expect(try await b.exists("tenant/a/blk/meta.json") == false)
        #expect(PrefixedBucket.wrap(b, prefix: "//") is FilesystemBucket || PrefixedBucket.wrap(b, prefix: "") is S3Bucket)
    }
}
