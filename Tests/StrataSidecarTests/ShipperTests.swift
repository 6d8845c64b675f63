import Foundation
import StrataBucket
import StrataCompact
import StrataCore
import StrataObjStore
import StrataSidecar
import StrataTSDB
import StrataTestSupport
import Testing

@Suite struct ShipperTests {
    /// A Prometheus-like data dir: the testdata blocks, a block being created, an empty
    /// block and a compacted (level 2) one.
    func makeTSDB() throws -> (dir: String, level1: [String], compacted: BlockMeta) {
        let dir = TestEnv.tempDir("tsdb")
        var level1: [String] = []
        for b in try TestEnv.promBlocks() {
            let name = URL(fileURLWithPath: b).lastPathComponent
            try FileManager.default.copyItem(atPath: b, toPath: dir + "/" + name)
            level1.append(name)
        }
        try FileManager.default.createDirectory(atPath: dir + "/01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp-for-creation", withIntermediateDirectories: true)
        let empty = try BlockWriter(parentDir: dir, minTime: 0, maxTime: 7_200_000)
        _ = try empty.commit()
        let scratch = TestEnv.tempDir("scratch")
        let compacted = try BlockCompactor.compact(blockDirs: Array(try TestEnv.promBlocks().prefix(2)), outParentDir: scratch)
        try FileManager.default.moveItem(atPath: scratch + "/" + compacted.ulid.description, toPath: dir + "/" + compacted.ulid.description)
        return (dir, level1, compacted)
    }

    @Test func shipsCompleteLevel1BlocksOnceWithExternalLabels() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let (tsdb, level1, compacted) = try makeTSDB()
        let bucketDir = TestEnv.tempDir("bucket")
        let bucket = try FilesystemBucket(directory: bucketDir)
        let shipper = Shipper(tsdbPath: tsdb, bucket: bucket, externalLabels: ["cluster": "c1", "replica": "a"])
        let r = try await shipper.sync()
        #expect(r.uploaded == 4 && r.failed == 0)
        #expect(try await shipper.shipped().map(\.description).sorted() == level1.sorted())
        let shippedFile = try String(contentsOfFile: tsdb + "/thanos.shipper.json", encoding: .utf8)
        #expect(shippedFile.contains("\"version\": 1"))
        // Staging is cleaned up; nothing but blocks in the bucket.
        #expect(try FileManager.default.contentsOfDirectory(atPath: tsdb + "/thanos/upload").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bucketDir).sorted() == level1.sorted())
        for name in level1 {
            let meta = try BlockMeta.read(dir: bucketDir + "/" + name)
            #expect(meta.thanos?.labels == ["cluster": "c1", "replica": "a"] && meta.thanos?.source == "sidecar")
            #expect(meta.thanos?.files.contains { $0.relPath == "index" && $0.sha256 != nil } == true)
            // The uploaded block is the same data.
            #expect(try TestEnv.promtoolDump(promtool, block: bucketDir + "/" + name) == TestEnv.promtoolDump(promtool, block: tsdb + "/" + name))
        }
        // The compacted block was not shipped; a second pass ships nothing new.
        #expect(!FileManager.default.fileExists(atPath: bucketDir + "/" + compacted.ulid.description))
        let again = try await shipper.sync()
        #expect(again.uploaded == 0 && again.failed == 0)
    }

    /// The sidecar dies in the middle of shipping (its bucket connection fails after a few
    /// writes) and is started again: every block ends up in the bucket exactly once, complete
    /// and byte-identical to the local files, and the shipper file lists each once.
    @Test func killedMidUploadThenRestartedShipsEachBlockOnce() async throws {
        let (tsdb, level1, _) = try makeTSDB()
        let bucketDir = TestEnv.tempDir("bucket")
        let bucket = try FilesystemBucket(directory: bucketDir)
        let labels = ["cluster": "c1", "replica": "a"]
        let first = try await Shipper(tsdbPath: tsdb, bucket: DyingBucket(base: bucket, allowedPuts: 5), externalLabels: labels).sync()
        #expect(first.failed >= 1 && first.uploaded < level1.count)
        let partial = try await BlockMetaFetcher(bucket: bucket).fetch()
        #expect(!partial.partial.isEmpty, "the interrupted block is partial (no meta.json)")

        let restarted = Shipper(tsdbPath: tsdb, bucket: bucket, externalLabels: labels)
        let second = try await restarted.sync()
        #expect(second.failed == 0 && first.uploaded + second.uploaded == level1.count)
        #expect(try await restarted.shipped().map(\.description).sorted() == level1.sorted())
        let snap = try await BlockMetaFetcher(bucket: bucket).fetch()
        #expect(snap.partial.isEmpty && snap.metas.count == level1.count)
        for name in level1 {
            for rel in ["index", "chunks/000001"] {
                #expect(FileManager.default.contents(atPath: bucketDir + "/" + name + "/" + rel)
                    == FileManager.default.contents(atPath: tsdb + "/" + name + "/" + rel), "\(name)/\(rel)")
            }
        }
        let shipperFile = try String(contentsOfFile: tsdb + "/" + Shipper.shipperFile, encoding: .utf8)
        for name in level1 { #expect(shipperFile.components(separatedBy: name).count == 2, "\(name) listed once") }
        #expect(try await restarted.sync().uploaded == 0)
    }

    @Test func blockAlreadyInBucketIsRecordedNotUploaded() async throws {
        let (tsdb, level1, _) = try makeTSDB()
        let bucketDir = TestEnv.tempDir("bucket")
        let bucket = try FilesystemBucket(directory: bucketDir)
        try await BlockUploader(bucket: bucket).upload(blockDir: tsdb + "/" + level1[0], externalLabels: ["x": "y"], source: "test")
        let before = try BlockMeta.read(dir: bucketDir + "/" + level1[0])
        let shipper = Shipper(tsdbPath: tsdb, bucket: bucket, externalLabels: ["cluster": "c1"])
        let r = try await shipper.sync()
        #expect(r.uploaded == 3)
        #expect(try await shipper.shipped().count == 4)
        #expect(try BlockMeta.read(dir: bucketDir + "/" + level1[0]) == before)
    }

    @Test func uploadCompactedRefusesOverlapsAndShipsTheRest() async throws {
        let (tsdb, _, compacted) = try makeTSDB()
        let bucket = try FilesystemBucket(directory: TestEnv.tempDir("bucket"))
        let first = Shipper(tsdbPath: tsdb, bucket: bucket, externalLabels: ["cluster": "c1"])
        _ = try await first.sync()
        // Level-1 blocks now in the bucket overlap the compacted one: it must not go up.
        let shipper = Shipper(tsdbPath: tsdb, bucket: bucket, externalLabels: ["cluster": "c1"], uploadCompacted: true)
        let r = try await shipper.sync()
        #expect(r.failed == 1 && r.uploaded == 0)
        #expect(try await !bucket.exists(BlockLayout.metaKey(compacted.ulid)))
        // As Prometheus does after compacting, the two source blocks disappear; into an empty
        // bucket the compacted block then goes, next to the remaining level-1 blocks.
        let fresh = try FilesystemBucket(directory: TestEnv.tempDir("bucket2"))
        try FileManager.default.removeItem(atPath: tsdb + "/thanos.shipper.json")
        for b in try TestEnv.promBlocks().prefix(2) {
            try FileManager.default.removeItem(atPath: tsdb + "/" + URL(fileURLWithPath: b).lastPathComponent)
        }
        let r2 = try await Shipper(tsdbPath: tsdb, bucket: fresh, externalLabels: ["cluster": "c1"], uploadCompacted: true).sync()
        #expect(r2.uploaded == 3 && r2.failed == 0)
        #expect(try await fresh.exists(BlockLayout.metaKey(compacted.ulid)))
    }
}
