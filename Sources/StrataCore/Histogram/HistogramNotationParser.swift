/// Parser of Prometheus's histogram series descriptions (promql/parser grammar
/// `histogram_series_value`): `{{` key:value pairs separated by blanks `}}`, keys
/// `schema`, `offset`, `n_offset` (integers), `sum`, `count`, `z_bucket` (signed numbers),
/// `z_bucket_w` (unsigned number), `buckets`, `n_buckets`, `custom_values` (`[n n …]`) and
/// `counter_reset_hint` (`unknown`, `reset`, `not_reset`, `gauge`). Numbers are decimal or
/// hexadecimal, `Inf`/`NaN` in any case, digits may be grouped by `_`, and durations
/// (`1m30s`) stand for their seconds, as in Prometheus. Each key at most once.
///
/// Works on bytes from a position so a `load` line parser can continue after the closing
/// `}}` (e.g. with `x3` or `+{{…}}`).
public struct HistogramNotationParser {
    public let bytes: [UInt8]
    public var pos: Int

    public init(_ bytes: [UInt8], at pos: Int = 0) {
        self.bytes = bytes
        self.pos = pos
    }

    /// A parsed histogram and whether `counter_reset_hint` was given explicitly (promql
    /// tests only compare hints that were written).
    public struct Result: Sendable {
        public var histogram: FloatHistogram
        public var counterResetHintGiven: Bool
    }

    public var atEnd: Bool { pos >= bytes.count }

    func error(_ m: String) -> HistogramNotationError { HistogramNotationError(position: pos, message: m) }

    func peek(_ k: Int = 0) -> UInt8? { pos + k < bytes.count ? bytes[pos + k] : nil }

    public mutating func skipBlanks() {
        while let c = peek(), c == 0x20 || c == 0x09 { pos += 1 }
    }

    mutating func expect(_ s: String) throws {
        for c in s.utf8 {
            guard peek() == c else { throw error("expected \"\(s)\"") }
            pos += 1
        }
    }

    /// Parses `{{…}}` starting at `pos` and leaves `pos` after the closing braces.
    public mutating func parseHistogram() throws -> Result {
        try expect("{{")
        var h = FloatHistogram()
        var seen = Set<String>()
        var hintGiven = false
        var positive: (offset: Int32, buckets: [Double]) = (0, [])
        var negative: (offset: Int32, buckets: [Double]) = (0, [])
        skipBlanks()
        while !(peek() == UInt8(ascii: "}") && peek(1) == UInt8(ascii: "}")) {
            guard !atEnd else { throw error("unterminated histogram description, expected \"}}\"") }
            let keyPos = pos
            let key = word()
            guard !key.isEmpty else { throw error("expected a histogram description key, e.g. buckets:[5 10 7]") }
            guard seen.insert(key).inserted else {
                throw HistogramNotationError(position: keyPos, message: "duplicate key \"\(key)\" in histogram")
            }
            try expect(":")
            switch key {
            case "schema": h.schema = try int32()
            case "sum": h.sum = try number(signed: true)
            case "count": h.count = try number(signed: true)
            case "z_bucket": h.zeroCount = try number(signed: true)
            case "z_bucket_w": h.zeroThreshold = try number(signed: false)
            case "custom_values": h.customValues = try bucketList()
            case "buckets": positive.buckets = try bucketList()
            case "offset": positive.offset = try int32()
            case "n_buckets": negative.buckets = try bucketList()
            case "n_offset": negative.offset = try int32()
            case "counter_reset_hint":
                hintGiven = true
                let vPos = pos
                switch word() {
                case "unknown": h.counterResetHint = .unknown
                case "reset": h.counterResetHint = .counterReset
                case "not_reset": h.counterResetHint = .notCounterReset
                case "gauge": h.counterResetHint = .gauge
                case let v: throw HistogramNotationError(position: vPos, message: "unknown counter_reset_hint \"\(v)\"")
                }
            default:
                throw HistogramNotationError(position: keyPos, message: "unknown histogram description key \"\(key)\"")
            }
            let before = pos
            skipBlanks()
            if pos == before, !(peek() == UInt8(ascii: "}") && peek(1) == UInt8(ascii: "}")) {
                throw error("expected a blank or \"}}\" after the value of \(key)")
            }
        }
        pos += 2
        if !positive.buckets.isEmpty {
            h.positiveSpans = [HistogramSpan(offset: positive.offset, length: UInt32(positive.buckets.count))]
            h.positiveBuckets = positive.buckets
        }
        if !negative.buckets.isEmpty {
            h.negativeSpans = [HistogramSpan(offset: negative.offset, length: UInt32(negative.buckets.count))]
            h.negativeBuckets = negative.buckets
        }
        return Result(histogram: h, counterResetHintGiven: hintGiven)
    }

    /// Letters, digits and underscores.
    mutating func word() -> String {
        let start = pos
        while let c = peek(), isWordByte(c) { pos += 1 }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
    }

    /// `[n n …]`, blanks allowed before the closing bracket.
    mutating func bucketList() throws -> [Double] {
        try expect("[")
        var out: [Double] = []
        while true {
            if peek() == UInt8(ascii: "]") && !out.isEmpty { pos += 1; return out }
            out.append(try number(signed: true))
            let before = pos
            skipBlanks()
            if pos == before && peek() != UInt8(ascii: "]") { throw error("expected a blank or \"]\" in bucket list") }
        }
    }

    /// An optionally negative decimal integer (grammar `int`).
    mutating func int32() throws -> Int32 {
        let start = pos
        var neg = false
        if peek() == UInt8(ascii: "-") { neg = true; pos += 1 }
        let digitsStart = pos
        var v: Int64 = 0
        while let c = peek(), c >= 0x30 && c <= 0x39 {
            v = v * 10 + Int64(c - 0x30)
            guard v <= Int64(Int32.max) + 1 else { throw HistogramNotationError(position: start, message: "integer out of range") }
            pos += 1
        }
        guard pos > digitsStart else { throw HistogramNotationError(position: start, message: "expected an integer") }
        if let c = peek(), isWordByte(c) { throw HistogramNotationError(position: start, message: "expected an integer") }
        let r = neg ? -v : v
        guard let out = Int32(exactly: r) else { throw HistogramNotationError(position: start, message: "integer out of range") }
        return out
    }

    /// A number, optionally with a sign (grammar `signed_or_unsigned_number` / `number`).
    mutating func number(signed: Bool) throws -> Double {
        let start = pos
        var sign = 1.0
        if signed, let c = peek(), c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            sign = c == UInt8(ascii: "-") ? -1 : 1
            pos += 1
        }
        let litStart = pos
        while let c = peek(), isWordByte(c) || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && pos > litStart
              && (bytes[pos - 1] | 0x20 == UInt8(ascii: "e")) && !isHex(litStart)) { pos += 1 }
        let lit = String(decoding: bytes[litStart..<pos], as: UTF8.self)
        guard let v = HistogramNotationParser.numberValue(lit) else {
            throw HistogramNotationError(position: start, message: "invalid number \"\(lit)\"")
        }
        return sign * v
    }

    func isHex(_ at: Int) -> Bool {
        at + 1 < bytes.count && bytes[at] == UInt8(ascii: "0") && bytes[at + 1] | 0x20 == UInt8(ascii: "x")
    }

    /// Value of a number literal (decimal, hex, Inf, NaN, `_`-grouped digits) or duration.
    static func numberValue(_ lit: String) -> Double? {
        switch lit.lowercased() {
        case "inf": return .infinity
        case "nan": return .nan
        default: break
        }
        var s = lit
        if s.contains("_") {
            // Go accepts `_` only between digits.
            let u = Array(s.utf8)
            for (i, c) in u.enumerated() where c == UInt8(ascii: "_") {
                guard i > 0, i + 1 < u.count, isDigit(u[i - 1]), isDigit(u[i + 1]) else { return nil }
            }
            s.removeAll { $0 == "_" }
        }
        let low = s.lowercased()
        if low.hasPrefix("0x") {
            guard let v = UInt64(low.dropFirst(2), radix: 16) else { return nil }
            return Double(v)
        }
        if let first = s.utf8.first, isDigit(first) || first == UInt8(ascii: ".") {
            if s.utf8.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e")
                || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }), let v = Double(s) {
                return v
            }
        }
        return durationSeconds(s)
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Prometheus durations: one or more `<digits><unit>` with units y w d h m s ms, in that order.
    static func durationSeconds(_ s: String) -> Double? {
        let units: [(String, Double)] = [("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600),
                                         ("m", 60), ("s", 1), ("ms", 0.001)]
        let u = Array(s.utf8)
        var i = 0
        var total = 0.0
        var lastUnit = -1
        while i < u.count {
            var n = 0.0
            let d0 = i
            while i < u.count, isDigit(u[i]) { n = n * 10 + Double(u[i] - 0x30); i += 1 }
            guard i > d0, i < u.count else { return nil }
            let unitStart = i
            while i < u.count, !isDigit(u[i]) { i += 1 }
            let unit = String(decoding: u[unitStart..<i], as: UTF8.self)
            guard let k = units.firstIndex(where: { $0.0 == unit }), k > lastUnit else { return nil }
            lastUnit = k
            total += n * units[k].1
        }
        return u.isEmpty ? nil : total
    }
}
