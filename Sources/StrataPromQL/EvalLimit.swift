import StrataCore

/// `limitk(k, v)` and `limit_ratio(r, v)` (3.x, experimental): per group, the first k series
/// in input order, or the series whose label hash falls in the ratio's share of the hash
/// space (a negative ratio takes the complementary share, so `limit_ratio(r, v)` and
/// `limit_ratio(-(1-r), v)` split `v`). Samples keep their own labels, as in topk.
extension Evaluator {
    func evalLimit(_ a: AggregateExpr, _ keyFn: @escaping (Labels) -> String) throws -> [Series] {
        var offsets: [Labels: Double] = [:]
        return try rangeEval([a.param, a.expr], prep: keyFn) { inp in
            let param = inp.vectors[0].first?.v ?? .nan
            let vec = inp.vectors[1], keys = inp.keys[1]
            var k = 0, ratio = 0.0
            if a.op == .limitk {
                if param.isNaN { throw fail("Parameter value is NaN") }
                if param < 1 { return [] }
                if param >= 9.223372036854775807e18 { throw fail("Scalar value \(formatGoFloat(param)) overflows int64") }
                k = Int(Swift.min(param, Double(Int.max / 2)))
            } else {
                if param.isNaN { throw fail("Ratio value is NaN") }
                if param > 1 { shared.annotations.warn(AnnotationText.invalidRatio(param, cappedTo: 1), a.paramPos) }
                if param < -1 { shared.annotations.warn(AnnotationText.invalidRatio(param, cappedTo: -1), a.paramPos) }
                if param == 0 { return [] }
                ratio = Swift.max(-1, Swift.min(1, param))
            }
            var heaps: [Int: [Sample]] = [:]
            var order: [Int] = []
            for (i, s) in vec.enumerated() {
                let key = keys[i]
                if heaps[key] == nil {
                    heaps[key] = []
                    order.append(key)
                }
                if a.op == .limitk {
                    if heaps[key]!.count < k { GoHeap.push(&heaps[key]!, s, less: topkLess) }
                } else {
                    let offset: Double
                    if let o = offsets[s.labels] { offset = o } else {
                        offset = Double(s.labels.prometheusHash) / Double(UInt64.max)
                        offsets[s.labels] = offset
                    }
                    if (ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1 + ratio) {
                        GoHeap.push(&heaps[key]!, s, less: topkLess)
                    }
                }
            }
            return order.flatMap { heaps[$0]! }
        }
    }
}
