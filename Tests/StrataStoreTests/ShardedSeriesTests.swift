import Foundation
import Logging
import StrataBucket
import StrataCore
import StrataObjStore
@testable import StrataStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// Stores honour the Store API's `shard_info`: each shard gets the series whose hash of the
/// chosen labels falls into it, before any chunk is read, and the shards together are
/// exactly the unsharded answer.
@Suite struct ShardedSeriesTests {
    @Test func shardsPartitionTheAnswer() async throws {
        let dir = TestEnv.tempDir("sharded-store")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        _ = try await BlockUploader(bucket: bucket, logger: Logger(label: "test"))
            .upload(blockDir: NativeHistogramData.blockDir, externalLabels: ["cluster": "c1", "replica": "a"], source: "test")
        let store = Fixtures.store(bucket, dataDir: dir + "/data")
        _ = try await store.sync()
        let local = LocalBlockStore(blocks: [try BlockReader(dir: NativeHistogramData.blockDir)])
        for s in [store as any StoreClient, local] {
            let (all, _) = try await Fixtures.collect(s, try Fixtures.request(#"{job="nh"}"#))
            #expect(all.count > 8)
            for spec in [SeriesShard(index: 0, total: 3, by: false, labels: ["__name__", "replica"]),
                         SeriesShard(index: 0, total: 2, by: true, labels: ["handler"])] {
                var seen: [Labels: Int] = [:]
                for i in 0..<spec.total {
                    var shard = spec
                    shard.index = i
                    var req = try Fixtures.request(#"{job="nh"}"#)
                    req.seriesShard = shard
                    let (part, _) = try await Fixtures.collect(s, req)
                    #expect(part.count < all.count, "shard \(i) of \(spec)")
                    for p in part {
                        let l = Labels(proto: p.labels)
                        #expect(shard.contains(l))
                        seen[l, default: 0] += 1
                        #expect(p.chunks == all.first { Labels(proto: $0.labels) == l }?.chunks)
                    }
                }
                #expect(seen.count == all.count && seen.values.allSatisfy { $0 == 1 }, "\(spec)")
            }
        }
    }
}
