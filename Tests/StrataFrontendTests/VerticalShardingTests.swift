import StrataCore
import StrataFrontend
import Testing

/// Which queries the frontend shards, and by which labels.
@Suite struct VerticalShardingTests {
    func spec(_ q: String) -> String? {
        guard let s = VerticalSharding.shard(q, index: 0, total: 3) else { return nil }
        return (s.by ? "by " : "without ") + s.labels.sorted().joined(separator: ",")
    }

    @Test func shardableQueries() {
        #expect(spec("sum by (job) (rate(req_total[5m]))") == "by job")
        #expect(spec("temp") == "without __name__")
        #expect(spec("rate(temp[10m])") == "without __name__")
        #expect(spec("sum without (pod) (temp)") == "without __name__,pod")
        #expect(spec("max by (job) (sum by (job, pod) (temp))") == "by job")
        #expect(spec("histogram_quantile(0.9, sum by (le, job) (rate(x_bucket[5m])))") == "by job")
        #expect(spec("histogram_quantile(0.9, rate(x_bucket[5m]))") == "without __name__,le")
        #expect(spec("a / on (pod) group_left b") == "by pod")
        #expect(spec("a / ignoring (job) b") == "without __name__,job")
        #expect(spec("topk by (job) (3, temp)") == "by job")
        #expect(spec("sum by (job) (rate(x[5m])) * 100") == "by job")
        #expect(spec("max_over_time(sum by (job) (rate(x[5m]))[1h:5m])") == "by job")
        #expect(spec("count_values by (job) (\"v\", temp)") == "by job")
    }

    @Test func unshardableQueries() {
        for q in ["sum(temp)", "count(temp)", "scalar(sum(temp))", "vector(1)", "1 + 1", "time()",
                  "sum by (job) (rate(x[5m])) or vector(0)", "absent(temp)", "label_replace(temp, \"a\", \"b\", \"c\", \"d\")",
                  "sort(temp)", "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))",
                  "topk(3, temp)", "temp * scalar(sum(temp))", "this is not promql"] {
            #expect(spec(q) == nil, "\(q): \(spec(q) ?? "")")
        }
        // `sum by (le)` alone is shardable by le; under histogram_quantile it is not.
        #expect(spec("sum by (le) (rate(x_bucket[5m]))") == "by le")
    }

    /// Every series lands in exactly one of the shards.
    @Test func shardsPartitionSeries() throws {
        let shards = VerticalSharding.shards("sum by (job) (rate(x[5m]))", total: 4)
        #expect(shards.count == 4 && shards.map(\.index) == [0, 1, 2, 3])
        var perShard = [Int](repeating: 0, count: 4)
        for job in 0..<40 {
            for pod in 0..<3 {
                let l = Labels(["__name__": "x", "job": "j\(job)", "pod": "p\(pod)", "replica": "r\(pod % 2)"])
                let hits = shards.filter { $0.contains(l) }
                #expect(hits.count == 1)
                perShard[hits[0].index] += 1
                // All series of one job in the same shard.
                #expect(shards.first { $0.contains(l.merging(Labels(["pod": "other"]))) }?.index == hits[0].index)
            }
        }
        #expect(perShard.allSatisfy { $0 > 10 }, "\(perShard)")
        #expect(VerticalSharding.parameter(shards[2]) == #"{"shard_index":2,"total_shards":4,"by":true,"labels":["job"]}"#)
    }
}
