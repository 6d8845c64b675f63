import StrataCore

/// Query results in the Prometheus HTTP API's JSON shape, byte-compatible with what
/// Prometheus 2.42 writes (timestamps as seconds with millisecond fraction, values as
/// jsonutil.MarshalFloat writes them, strings escaped like Go's encoding/json), so the
/// querier and the tools share one encoder. Written into one byte buffer: encoding a large
/// matrix must not cost more than evaluating it.
public enum ResultJSON {
    /// `{"status":"success","data":{"resultType":...,"result":...}}`.
    public static func success(_ result: QueryResult) -> String {
        "{\"status\":\"success\",\"data\":" + data(result) + "}"
    }

    /// The same with the query's annotations as Prometheus 3 returns them: `warnings`
    /// (`extraWarnings`, e.g. partial-response ones, first) and `infos`, each only when present.
    /// Written into one buffer sized for the answer: a large matrix is copied once more, into
    /// the String, not once per concatenation.
    public static func success(_ out: QueryOutput, extraWarnings: [String] = []) -> String {
        String(decoding: successBytes(out, extraWarnings: extraWarnings), as: UTF8.self)
    }

    /// The same as UTF-8 bytes.
    public static func successBytes(_ out: QueryOutput, extraWarnings: [String] = []) -> [UInt8] {
        let pieces = successPieces(out, extraWarnings: extraWarnings)
        return pieces.count == 1 ? pieces[0] : Array(pieces.joined())
    }

    /// The same in pieces whose concatenation is the answer, for a server to send as they
    /// are. A large matrix or vector (≥ 1 MiB of JSON) is written in slices of its series of
    /// about 512 KiB, on all cores: a week of a few thousand series was ~100 ms of one core's
    /// float formatting while the other waited.
    public static func successPieces(_ out: QueryOutput, extraWarnings: [String] = []) -> [[UInt8]] {
        let slices = pieceSlices(out.result)
        guard slices.count > 1 else {
            var w = JSONBytes(capacity: slices[0].bytes)
            w.append("{\"status\":\"success\",\"data\":")
            write(out.result, into: &w)
            w.annotations(warnings: extraWarnings + out.annotations.warnings, infos: out.annotations.infos)
            w.byte(UInt8(ascii: "}"))
            return [w.bytes]
        }
        var pieces = concurrentMap(slices.count) { k -> [UInt8] in
            var w = JSONBytes(capacity: slices[k].bytes + 128)
            if k == 0 { w.append("{\"status\":\"success\",\"data\":{\"resultType\":\"\(out.result.resultType)\",\"result\":[") }
            switch out.result {
            case .matrix(let series): writeElements(series[slices[k].range], into: &w)
            case .vector(let samples): writeElements(samples[slices[k].range], into: &w)
            default: break
            }
            return w.bytes
        }
        var tail = JSONBytes()
        tail.append("]}")
        tail.annotations(warnings: extraWarnings + out.annotations.warnings, infos: out.annotations.infos)
        tail.byte(UInt8(ascii: "}"))
        pieces.append(tail.bytes)
        return pieces
    }

    /// `{"resultType":...,"result":...}`.
    public static func data(_ result: QueryResult) -> String {
        var w = JSONBytes(capacity: estimatedBytes(result))
        write(result, into: &w)
        return w.string
    }

    static let pieceBytes = 512 << 10

    /// Consecutive element ranges of about `pieceBytes` of JSON each (by `estimatedBytes`'
    /// measure); one range, sized for the whole answer, when it is under 1 MiB or not an
    /// array (each element is measured once, for either).
    static func pieceSlices(_ result: QueryResult) -> [(range: Range<Int>, bytes: Int)] {
        let sizes: [Int]
        switch result {
        case .matrix(let series): sizes = series.map(estimatedBytes)
        case .vector(let samples): sizes = samples.map(estimatedBytes)
        default: return [(0..<0, 1024)]
        }
        let total = sizes.reduce(0, +)
        guard total >= 2 * pieceBytes else { return [(0..<sizes.count, total + 1024)] }
        var slices: [(range: Range<Int>, bytes: Int)] = []
        var start = 0, bytes = 0
        for (i, size) in sizes.enumerated() {
            bytes += size
            if bytes >= pieceBytes || i == sizes.count - 1 {
                slices.append((start..<(i + 1), bytes))
                start = i + 1
                bytes = 0
            }
        }
        return slices
    }

    /// A little more than the JSON takes (~28 bytes a float point, a series' label bytes plus
    /// 6 per label and 60 around them), so the buffer never grows: each growth of a large
    /// answer was a copy into freshly faulted pages. Pages allocated and never written cost
    /// nothing.
    static func estimatedBytes(_ result: QueryResult) -> Int {
        switch result {
        case .matrix(let series): return series.reduce(1024) { $0 + estimatedBytes($1) }
        case .vector(let samples): return samples.reduce(1024) { $0 + estimatedBytes($1) }
        default: return 1024
        }
    }

    static func labelBytes(_ l: Labels) -> Int { l.pairs.reduce(60) { $0 + $1.name.utf8.count + $1.value.utf8.count + 6 } }
    static func estimatedBytes(_ s: Series) -> Int { labelBytes(s.labels) + 32 * s.points.count + 200 * s.histograms.count }
    static func estimatedBytes(_ s: Sample) -> Int { labelBytes(s.labels) + (s.h == nil ? 48 : 400) }

    static func write(_ result: QueryResult, into w: inout JSONBytes) {
        w.append("{\"resultType\":\"\(result.resultType)\",\"result\":")
        switch result {
        case .scalar(let t, let v):
            w.point(t, v)
        case .string(let t, let s):
            w.byte(UInt8(ascii: "["))
            w.timestamp(t)
            w.byte(UInt8(ascii: ","))
            w.string(s)
            w.byte(UInt8(ascii: "]"))
        case .vector(let samples):
            w.byte(UInt8(ascii: "["))
            writeElements(samples[...], into: &w)
            w.byte(UInt8(ascii: "]"))
        case .matrix(let series):
            w.byte(UInt8(ascii: "["))
            writeElements(series[...], into: &w)
            w.byte(UInt8(ascii: "]"))
        }
        w.byte(UInt8(ascii: "}"))
    }

    /// `{"metric":{…},…}` objects, one per element, comma-separated (with a leading comma
    /// unless the slice starts the array, so slices written apart concatenate); `body` writes
    /// what follows the metric.
    @inline(__always)
    static func writeObjects<E>(_ elements: ArraySlice<E>, into w: inout JSONBytes, labels: (E) -> Labels,
                                _ body: (E, inout JSONBytes) -> Void) {
        for i in elements.indices {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.append("{\"metric\":")
            w.metric(labels(elements[i]))
            body(elements[i], &w)
            w.byte(UInt8(ascii: "}"))
        }
    }

    /// A vector's samples.
    static func writeElements(_ samples: ArraySlice<Sample>, into w: inout JSONBytes) {
        writeObjects(samples, into: &w, labels: \.labels) { s, w in
            if let h = s.h {
                w.append(",\"histogram\":")
                w.histogramPoint(s.t, h)
            } else {
                w.append(",\"value\":")
                w.point(s.t, s.v)
            }
        }
    }

    /// A matrix's series.
    static func writeElements(_ series: ArraySlice<Series>, into w: inout JSONBytes) {
        writeObjects(series, into: &w, labels: \.labels) { s, w in
            // Like Prometheus: each of the two arrays only when the series has such samples.
            if !s.points.isEmpty || s.histograms.isEmpty {
                w.append(",\"values\":[")
                for (j, p) in s.points.enumerated() {
                    if j > 0 { w.byte(UInt8(ascii: ",")) }
                    w.point(p.t, p.v)
                }
                w.byte(UInt8(ascii: "]"))
            }
            if !s.histograms.isEmpty {
                w.append(",\"histograms\":[")
                for (j, p) in s.histograms.enumerated() {
                    if j > 0 { w.byte(UInt8(ascii: ",")) }
                    w.histogramPoint(p.t, p.h)
                }
                w.byte(UInt8(ascii: "]"))
            }
        }
    }

    /// `{"status":"error","errorType":...,"error":...}`.
    public static func error(type: String, message: String) -> String {
        "{\"status\":\"error\",\"errorType\":" + goJSONString(type) + ",\"error\":" + goJSONString(message) + "}"
    }

    /// A label set as a JSON object (`{"__name__":"up","job":"x"}`).
    public static func metric(_ labels: Labels) -> String {
        var w = JSONBytes()
        w.metric(labels)
        return w.string
    }

    public static func point(_ t: Int64, _ v: Double) -> String {
        var w = JSONBytes()
        w.point(t, v)
        return w.string
    }

    /// Milliseconds as seconds, the way Prometheus's jsonutil.MarshalTimestamp writes them
    /// (`1.5` seconds is `1.500`, whole seconds have no fraction).
    public static func timestamp(_ ms: Int64) -> String {
        var w = JSONBytes()
        w.timestamp(ms)
        return w.string
    }
}

extension JSONBytes {
    /// `[<ts>,"<value>"]`.
    public mutating func point(_ t: Int64, _ v: Double) {
        // `[<ts>,"` and, for whole numbers (counters, gauges of counts), the value and `"]`
        // too: one append per point.
        let whole = v.isFinite && v == v.rounded(.towardZero) && abs(v) < 9_007_199_254_740_992
        appendWritten(capacity: 64) { p in
            p[0] = UInt8(ascii: "[")
            var n = 1 + JSONBytes.writeTimestamp(t, p + 1)
            p[n] = UInt8(ascii: ",")
            p[n + 1] = UInt8(ascii: "\"")
            n += 2
            guard whole else { return n }
            if v.sign == .minus {
                p[n] = UInt8(ascii: "-")
                n += 1
            }
            n += JSONBytes.writeInteger(UInt64(abs(v)), p + n)
            p[n] = UInt8(ascii: "\"")
            p[n + 1] = UInt8(ascii: "]")
            return n + 2
        }
        if whole { return }
        apiFloat(v)
        byte(UInt8(ascii: "\""))
        byte(UInt8(ascii: "]"))
    }

    /// `[<ts>,{"count":"…","sum":"…","buckets":[[rule,"lower","upper","count"],…]}]`, as
    /// Prometheus's MarshalHistogram writes it: empty buckets are left out, and so is
    /// `buckets` when none is left.
    public mutating func histogramPoint(_ t: Int64, _ h: FloatHistogram) {
        byte(UInt8(ascii: "["))
        timestamp(t)
        append(",{\"count\":\"")
        apiFloat(h.count)
        append("\",\"sum\":\"")
        apiFloat(h.sum)
        byte(UInt8(ascii: "\""))
        var first = true
        for b in h.allBuckets() where b.count != 0 {
            append(first ? ",\"buckets\":[[" : ",[")
            first = false
            integer(UInt64(b.boundaryRule))
            append(",\"")
            apiFloat(b.lower)
            append("\",\"")
            apiFloat(b.upper)
            append("\",\"")
            apiFloat(b.count)
            append("\"]")
        }
        if !first { byte(UInt8(ascii: "]")) }
        append("}]")
    }

    /// `formatAPIFloat`, without intermediate strings for the common cases: integral values
    /// below 2^53 and values whose shortest form has no exponent.
    public mutating func apiFloat(_ v: Double) {
        if v.isFinite, v == v.rounded(.towardZero), abs(v) < 9_007_199_254_740_992 {
            if v == 0 {
                if v.sign == .minus { byte(UInt8(ascii: "-")) }
                byte(UInt8(ascii: "0"))
                return
            }
            if v < 0 { byte(UInt8(ascii: "-")) }
            integer(UInt64(abs(v)))
            return
        }
        let a = abs(v)
        if a.isFinite && a >= 1e-4 && a < 9_007_199_254_740_992 {
            // Swift's shortest round-trip form is fixed notation in this range, as Go's is.
            append(v.description)
            return
        }
        append(formatAPIFloat(v))
    }
}
