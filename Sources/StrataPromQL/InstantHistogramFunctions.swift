import StrataCore

/// The histogram functions of an instant vector (`histogram_count`, `_sum`, `_avg`,
/// `_stddev`, `_stdvar`, `_fraction`, `_quantile`, `_quantiles`): native histogram samples are read
/// directly; `histogram_quantile` and `histogram_fraction` also read classic `le` buckets,
/// and where a classic and a native histogram of the same series meet, neither is used and
/// a warning says so (Prometheus's resetHistograms).
extension InstantFunctions {
    static func histogramFunction(_ c: Call, _ inp: Evaluator.StepInput, _ st: inout FunctionState) throws -> [Sample] {
        let name = c.function.name, ts = inp.ts
        func native(_ vec: [Sample], _ f: (FloatHistogram) -> Double) -> [Sample] {
            vec.compactMap { s in s.h.map { Sample(labels: st.dropName(s.labels), t: ts, v: f($0), dropName: true) } }
        }
        switch name {
        case "histogram_count": return native(inp.vectors[0]) { $0.count }
        case "histogram_sum": return native(inp.vectors[0]) { $0.sum }
        case "histogram_avg": return native(inp.vectors[0]) { $0.sum / $0.count }
        case "histogram_stddev": return native(inp.vectors[0]) { nativeHistogramStdDev($0) }
        case "histogram_stdvar": return native(inp.vectors[0]) { nativeHistogramStdVar($0) }
        default: break
        }
        let quantiles = name == "histogram_quantiles", fraction = name == "histogram_fraction"
        let vi = quantiles ? 0 : fraction ? 2 : 1
        // histogram_quantile(q, v), histogram_quantiles(v, "label", q1, q2…), histogram_fraction(lo, hi, v).
        var qs: [Double] = []
        var qPositions: [SourcePos?] = []
        if quantiles {
            for k in 2..<inp.vectors.count {
                qs.append(inp.vectors[k].first?.v ?? .nan)
                qPositions.append(c.argPosition(k))
            }
        } else {
            guard let first = inp.vectors[0].first else { return [] }
            if fraction && inp.vectors[1].isEmpty { return [] }
            qs = [first.v]
            qPositions = [c.argPosition(0)]
        }
        let upper = fraction ? inp.vectors[1].first?.v ?? .nan : 0
        let quantileLabel = quantiles ? stringArg(c.args[1]) : ""
        let argPos = c.argPosition(vi)
        if !fraction {
            for (q, pos) in zip(qs, qPositions) where q.isNaN || q < 0 || q > 1 {
                st.annotations.warn(AnnotationText.invalidQuantile(q), pos)
            }
        }
        var vec = inp.vectors[vi], sources = inp.sources[vi]
        var natives = vec.filter { $0.h != nil }
        if !natives.isEmpty {
            // A native histogram and classic buckets of the same series at one step: neither counts.
            let nativeKeys = Set(natives.map { labelsKey($0.labels.pairs) })
            var conflicts = Set<String>()
            for s in vec where s.h == nil && parseGoFloat(s.labels["le"]) != nil {
                let k = labelsKey(s.labels.pairs.filter { $0.name != "le" })
                if nativeKeys.contains(k) { conflicts.insert(k) }
            }
            if !conflicts.isEmpty {
                var keep: [Int] = []
                for (i, s) in vec.enumerated() {
                    let k = labelsKey(s.h != nil ? s.labels.pairs : s.labels.pairs.filter { $0.name != "le" })
                    if conflicts.contains(k) {
                        if s.h != nil { st.annotations.warn(mixedClassicNative(s.labels.metricName), argPos) }
                    } else {
                        keep.append(i)
                    }
                }
                vec = keep.map { vec[$0] }
                sources = keep.map { sources[$0] }
                natives = vec.filter { $0.h != nil }
            }
        }
        func labeled(_ l: Labels, _ q: Double) -> Labels {
            quantiles ? l.setting(quantileLabel, formatOpenMetricsFloat(q)) : l
        }
        var out: [Sample] = []
        for q in qs {
            for s in natives {
                guard let h = s.h else { continue }
                let (v, info) = fraction ? nativeHistogramFraction(q, upper, h) : nativeHistogramQuantile(q, h)
                if let info {
                    let text: String
                    switch info {
                    case .quantileNaNResult: text = "input to histogram_quantile has NaN observations, result is NaN"
                    case .quantileNaNSkew: text = "input to histogram_quantile has NaN observations, result is skewed higher"
                    case .fractionNaNs: text = "input to histogram_fraction has NaN observations, which are excluded from all fractions"
                    }
                    st.annotations.info(AnnotationText.forMetric(text, s.labels.metricName), argPos)
                }
                out.append(Sample(labels: labeled(st.dropName(s.labels), q), t: ts, v: v, dropName: true))
            }
            var annotations = st.annotations
            let tolerance = st.compat == .v3_14 ? 1e-12 : 0
            let classic = classicHistograms(vec, sources, ts, &st, badBucket: { s in
                annotations.warn(AnnotationText.forMetric("bucket label \"le\" is missing or has a malformed value of \(goQuote(s.labels["le"]))",
                                                          s.labels.metricName), argPos)
            }) { buckets in
                if fraction { return bucketFraction(q, upper, buckets) }
                let (v, fix) = bucketQuantileReporting(q, buckets, tolerance: tolerance)
                if let fix { annotations.forcedMonotonicity(fix, at: ts, metric: "", argPos) }
                return v
            }
            st.annotations = annotations
            out += classic.map { Sample(labels: labeled($0.labels, q), t: ts, v: $0.v, dropName: true) }
        }
        return out
    }

    static func mixedClassicNative(_ metric: String) -> String {
        "vector contains a mix of classic and native histograms" + (metric.isEmpty ? "" : " for metric name \(goQuote(metric))")
    }
}

/// Prometheus's labels.FormatOpenMetricsFloat: `+Inf`/`-Inf`/`NaN`, and whole numbers with
/// `.0` (the `quantile` label of histogram_quantiles).
func formatOpenMetricsFloat(_ f: Double) -> String {
    if f.isNaN { return "NaN" }
    if f.isInfinite { return f > 0 ? "+Inf" : "-Inf" }
    let s = formatGoFloat(f)
    if f == f.rounded(.down), !s.contains("e"), !s.contains(".") { return s + ".0" }
    return s
}

/// A histogram as Go's FloatHistogram.String() prints it (count_values labels):
/// `{count:20, sum:10, [-2,-1):2, [-0.001,0.001]:2, (1,2]:2}`, empty buckets left out.
func histogramString(_ h: FloatHistogram) -> String {
    var s = "{count:\(formatGoFloat(h.count)), sum:\(formatGoFloat(h.sum))"
    for b in h.allBuckets() where b.count != 0 {
        s += ", " + (b.lowerInclusive ? "[" : "(") + formatGoFloat(b.lower) + "," + formatGoFloat(b.upper)
            + (b.upperInclusive ? "]" : ")") + ":" + formatGoFloat(b.count)
    }
    return s + "}"
}
