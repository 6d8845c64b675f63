import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTestSupport
import StrataTSDB
import Synchronization
import Testing

/// A bucket that remembers the order of writes and deletes (to check Thanos ordering).
struct RecordingBucket: Bucket {
    let base: any Bucket
    let log = Log()
    final class Log: Sendable {
        let ops = Mutex<[String]>([])
        func add(_ s: String) { ops.withLock { $0.append(s) } }
        var all: [String] { ops.withLock { $0 } }
    }
    var kind: String { base.kind }
    func get(_ key: String) async throws -> ObjectStream { try await base.get(key) }
    func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream {
        try await base.getRange(key, offset: offset, length: length)
    }
    func put(_ key: String, body: PutBody) async throws { log.add("put " + key); try await base.put(key, body: body) }
    func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool {
        log.add("putIfAbsent " + key)
        return try await base.putIfAbsent(key, body: body)
    }
    func getVersioned(_ key: String) async throws -> VersionedObject { try await base.getVersioned(key) }
    func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool {
        log.add("putIfMatch " + key)
        return try await base.putIfMatch(key, body: body, etag: etag)
    }
    func delete(_ key: String) async throws { log.add("delete " + key); try await base.delete(key) }
    func exists(_ key: String) async throws -> Bool { try await base.exists(key) }
    func attributes(_ key: String) async throws -> ObjectAttributes { try await base.attributes(key) }
    func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
        try await base.iterate(prefix: prefix, recursive: recursive, body)
    }
}

/// A fresh filesystem bucket in a temp dir, removed afterwards.
func withFSBucket(_ body: (RecordingBucket, String) async throws -> Void) async throws {
    let dir = TestEnv.tempDir("bucket")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let b = RecordingBucket(base: try FilesystemBucket(directory: dir + "/bucket"))
    try await body(b, dir)
}

@Suite("Blocks in a bucket")
struct BlockBucketTests {
    static let labels = ["cluster": "c1", "replica": "a"]

    static func block(_ i: Int = 0) throws -> (dir: String, id: ULID) {
        let dir = try TestEnv.promBlocks()[i]
        return (dir, try ULID(parsing: String(dir.split(separator: "/").last!)))
    }

    /// An upload that dies after the chunks (or after the index) leaves no meta.json: the
    /// fetcher lists the block as partial and serves nothing of it; a new upload completes it.
    @Test(arguments: [1, 2]) func uploadKilledMidwayIsPartial(_ allowed: Int) async throws {
        try await withFSBucket { b, _ in
            let (dir, id) = try Self.block()
            let dying = DyingBucket(base: b, allowedPuts: allowed)
            await #expect(throws: DyingBucket.Died.self) {
                try await BlockUploader(bucket: dying).upload(blockDir: dir, externalLabels: Self.labels, source: "test")
            }
            #expect(try await b.exists(BlockLayout.metaKey(id)) == false)
            let snap = try await BlockMetaFetcher(bucket: b).fetch()
            #expect(snap.partial == [id])
            #expect(snap.metas.isEmpty)
            try await BlockUploader(bucket: b).upload(blockDir: dir, externalLabels: Self.labels, source: "test")
            let after = try await BlockMetaFetcher(bucket: b).fetch()
            #expect(after.partial.isEmpty && after.metas[id] != nil)
        }
    }

    @Test func uploadInThanosOrderWithFileStats() async throws {
        try await withFSBucket { b, _ in
            let (dir, id) = try Self.block()
            let localMetaBefore = try readFile(dir + "/meta.json")
            let meta = try await BlockUploader(bucket: b).upload(blockDir: dir + "/", externalLabels: Self.labels, source: "sidecar")

            let puts = b.log.all.filter { $0.hasPrefix("put ") }.map { String($0.dropFirst(4)) }
            #expect(puts.last == "\(id)/meta.json")
            #expect(puts.dropLast().last == "\(id)/index")
            #expect(puts.dropLast(2).allSatisfy { $0.hasPrefix("\(id)/chunks/") })
            #expect(!puts.contains("\(id)/tombstones"))

            let remote = try BlockMeta(json: try await b.getBytes("\(id)/meta.json"))
            #expect(remote == meta)
            #expect(remote.thanos?.labels == Self.labels)
            #expect(remote.thanos?.source == "sidecar")
            let files = remote.thanos?.files ?? []
            #expect(files.map(\.relPath) == files.map(\.relPath).sorted())
            #expect(files.last?.relPath == "meta.json" && files.last?.sizeBytes == nil)
            for f in files where f.relPath != "meta.json" {
                #expect(f.sizeBytes == (try fileSize(dir + "/" + f.relPath)))
                #expect(f.sha256 == (try BlockFileStats.sha256(path: dir + "/" + f.relPath)))
                #expect(try await b.attributes("\(id)/\(f.relPath)").size == f.sizeBytes)
            }
            // The local block is left as it was.
            #expect(try readFile(dir + "/meta.json") == localMetaBefore)
        }
    }

    @Test func uploadRefusals() async throws {
        try await withFSBucket { b, tmp in
            let (dir, _) = try Self.block()
            await #expect(throws: BlockBucketError.self) {
                try await BlockUploader(bucket: b).upload(blockDir: dir, externalLabels: [:], source: "sidecar")
            }
            try FileManager.default.copyItem(atPath: dir, toPath: tmp + "/not-a-ulid")
            await #expect(throws: BlockBucketError.self) {
                try await BlockUploader(bucket: b).upload(blockDir: tmp + "/not-a-ulid", externalLabels: Self.labels, source: "x")
            }
            #expect(try await b.list().isEmpty)
        }
    }

    @Test func downloadVerifiesAndRoundTrips() async throws {
        try await withFSBucket { b, tmp in
            let (dir, id) = try Self.block(1)
            let uploaded = try await BlockUploader(bucket: b).upload(blockDir: dir, externalLabels: Self.labels, source: "sidecar")
            try await BlockMarkers(bucket: b).mark(id, .noCompact)

            let got = try await BlockDownloader(bucket: b).download(id, into: tmp + "/dl")
            #expect(got == uploaded)
            let out = tmp + "/dl/\(id)"
            #expect(try readFile(out + "/index") == (try readFile(dir + "/index")))
            #expect(try listDirectory(out + "/chunks") == (try listDirectory(dir + "/chunks")))
            #expect(!fileExists(out + "/no-compact-mark.json"))
            var verifier = BlockVerifier(dir: out)
            #expect(verifier.run().isEmpty)

            // A damaged object in the bucket is caught by its hash.
            var bytes = try await b.getBytes("\(id)/index")
            bytes[bytes.count / 2] ^= 0xFF
            try await b.put("\(id)/index", bytes: bytes)
            await #expect(throws: BlockBucketError.self) {
                try await BlockDownloader(bucket: b).download(id, into: tmp + "/dl2")
            }
            // No meta.json: partial.
            let missing = ULID()
            try await b.put("\(missing)/index", bytes: [1])
            await #expect(throws: BlockBucketError.partialBlock(missing)) {
                try await BlockDownloader(bucket: b).download(missing, into: tmp + "/dl3")
            }
        }
    }

    @Test func fetcherSortsBlocksAndMarkers() async throws {
        try await withFSBucket { b, _ in
            var ids: [ULID] = []
            for i in 0..<3 {
                let (dir, id) = try Self.block(i)
                try await BlockUploader(bucket: b).upload(blockDir: dir, externalLabels: Self.labels, source: "sidecar")
                ids.append(id)
            }
            let partial = ULID()
            try await b.put("\(partial)/chunks/000001", bytes: [1, 2, 3])
            let corrupt = ULID()
            try await b.put("\(corrupt)/meta.json", bytes: Array("{not json".utf8))
            try await b.put("debug/metas/x.json", bytes: [1])

            let markers = BlockMarkers(bucket: b)
            #expect(try await markers.mark(ids[0], .deletion, details: "test", now: Date(timeIntervalSinceNow: -3 * 86400)))
            #expect(try await markers.mark(ids[0], .deletion) == false)
            #expect(try await markers.mark(ids[1], .noCompact))
            await #expect(throws: BlockBucketError.partialBlock(partial)) { try await markers.mark(partial, .deletion) }

            let snap = try await BlockMetaFetcher(bucket: b, concurrency: 2).fetch()
            #expect(Set(snap.metas.keys) == Set(ids))
            #expect(snap.sortedMetas.map(\.ulid) == ids.sorted { a, c in snap.metas[a]!.minTime < snap.metas[c]!.minTime })
            #expect(snap.partial == [partial])
            #expect(Array(snap.corrupted.keys) == [corrupt])
            #expect(snap.deletionMarks[ids[0]]?.details == "test")
            #expect(snap.noCompactMarks.keys.contains(ids[1]))
            // Marked three days ago: hidden with a 48h delay, still visible with a 4-day one.
            #expect(snap.visible(ignoringDeletedOlderThan: 48 * 3600).map(\.ulid).contains(ids[0]) == false)
            #expect(snap.visible(ignoringDeletedOlderThan: 96 * 3600).map(\.ulid).contains(ids[0]))
        }
    }

    @Test func consistencyDelay() async throws {
        try await withFSBucket { b, tmp in
            // A block made "now" by the sidecar and one by the compactor.
            let (dir, _) = try Self.block(0)
            let fresh = ULID()
            try FileManager.default.copyItem(atPath: dir, toPath: tmp + "/\(fresh)")
            var meta = try BlockMeta.read(dir: tmp + "/\(fresh)")
            meta.ulid = fresh
            meta.compaction.sources = [fresh]
            try meta.write(dir: tmp + "/\(fresh)")
            try await BlockUploader(bucket: b).upload(blockDir: tmp + "/\(fresh)", externalLabels: Self.labels, source: "sidecar")
            let compacted = ULID()
            try FileManager.default.copyItem(atPath: dir, toPath: tmp + "/\(compacted)")
            meta.ulid = compacted
            meta.compaction.sources = [compacted]
            try meta.write(dir: tmp + "/\(compacted)")
            try await BlockUploader(bucket: b).upload(blockDir: tmp + "/\(compacted)", externalLabels: Self.labels, source: "compactor")

            let snap = try await BlockMetaFetcher(bucket: b).fetch()
            #expect(snap.consistent(delay: 1800).map(\.ulid) == [compacted])
            #expect(Set(snap.consistent(delay: 1800, now: Date(timeIntervalSinceNow: 3600)).map(\.ulid)) == [fresh, compacted])
        }
    }

    @Test func deleteInSafeOrder() async throws {
        try await withFSBucket { b, _ in
            let (dir, id) = try Self.block(2)
            try await BlockUploader(bucket: b).upload(blockDir: dir, externalLabels: Self.labels, source: "sidecar")
            try await BlockMarkers(bucket: b).mark(id, .deletion)
            try await BlockDeleter(bucket: b).delete(id)
            let deletes = b.log.all.filter { $0.hasPrefix("delete ") }.map { String($0.dropFirst(7)) }
            #expect(deletes.first == "\(id)/meta.json")
            #expect(deletes.last == "\(id)/deletion-mark.json")
            #expect(try await b.list().isEmpty)
        }
    }
}
