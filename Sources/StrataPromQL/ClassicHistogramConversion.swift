import StrataCore

/// Classic histogram series (`_bucket{le=…}`, `_count`, `_sum`) as native histograms with
/// custom buckets (schema -53), as Prometheus's convertnhcb builds them: what a test
/// script's `load_with_nhcb` adds beside the float series.
enum ClassicHistogramConversion {
    struct ConversionError: Error, CustomStringConvertible {
        var description: String
    }

    /// One histogram in the making: cumulative bucket counts by upper bound, count and sum.
    struct Pending {
        var buckets: [(le: Double, count: Double)] = []
        var count = 0.0
        var hasCount = false
        var sum = 0.0
        var error: String?

        mutating func setBucket(_ le: Double, _ count: Double) {
            guard error == nil else { return }
            if count < 0 {
                error = "histogram has a bucket whose observation count is negative: le=\(formatGoFloat(le)), count=\(formatGoFloat(count))"
                return
            }
            let i = buckets.firstIndex { $0.le >= le } ?? buckets.count
            if i < buckets.count, buckets[i].le == le { return }
            if i > 0, count < buckets[i - 1].count || (i < buckets.count && count > buckets[i].count) {
                error = "histogram bucket counts are not cumulative"
                return
            }
            buckets.insert((le, count), at: i)
        }

        func histogram() throws -> FloatHistogram {
            if let error { throw ConversionError(description: error) }
            var buckets = self.buckets
            var count = self.count
            if !hasCount, let last = buckets.last { count = last.count }
            if buckets.last?.le != .infinity { buckets.append((.infinity, count)) }
            if count != buckets[buckets.count - 1].count {
                throw ConversionError(description: "histogram bucket count does not match the total count: count=\(formatGoFloat(count)) != le=+Inf count=\(formatGoFloat(buckets[buckets.count - 1].count))")
            }
            let integral = buckets.allSatisfy { $0.count == $0.count.rounded() } && count == count.rounded()
            var prev = 0.0
            var h = FloatHistogram(schema: HistogramSchema.customBuckets, count: count, sum: sum,
                                   positiveSpans: [HistogramSpan(offset: 0, length: UInt32(buckets.count))])
            for b in buckets {
                h.positiveBuckets.append(b.count - prev)
                prev = b.count
                if b.le != .infinity { h.customValues.append(b.le) }
            }
            // Integer histograms are compacted keeping runs of up to 2 empty buckets, float ones
            // dropping every empty bucket (convertnhcb's Compact(2) and Compact(0)).
            h.compact(maxEmptyBuckets: integral ? 2 : 0)
            return h
        }
    }

    /// The native histogram samples of every classic histogram among `series`.
    static func convert(_ series: [(Labels, [SeriesLine3.Value])], interval: Int64) throws -> [(Labels, Int64, FloatHistogram)] {
        var pending: [Labels: [Int64: Pending]] = [:]
        for (labels, values) in series {
            let name = labels.metricName
            var update: ((inout Pending, Double) -> Void)?
            var base = ""
            if name.hasSuffix("_bucket") {
                guard let le = parseGoNumber(labels["le"]), !le.isNaN else { continue }
                base = String(name.dropLast(7))
                update = { $0.setBucket(le, $1) }
            } else if name.hasSuffix("_sum") {
                base = String(name.dropLast(4))
                update = { $0.sum = $1 }
            } else if name.hasSuffix("_count") {
                base = String(name.dropLast(6))
                update = { p, v in
                    if p.error == nil, v < 0 { p.error = "histogram has a negative count: count=\(formatGoFloat(v))" }
                    p.count = v
                    p.hasCount = true
                }
            }
            guard let update else { continue }
            let key = labels.removing(["le"]).setting(metricNameLabel, base)
            for (i, v) in values.enumerated() {
                guard case .float(let f) = v else { continue }
                update(&pending[key, default: [:]][Int64(i) * interval, default: Pending()], f)
            }
        }
        var out: [(Labels, Int64, FloatHistogram)] = []
        for (labels, byTime) in pending {
            for t in byTime.keys.sorted() { out.append((labels, t, try byTime[t]!.histogram())) }
        }
        return out
    }
}
