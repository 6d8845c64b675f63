import StrataCore

/// The series notation of Prometheus 3.x test scripts: everything `SeriesDescription` reads,
/// plus quoted UTF-8 names (`{"http.server.duration", "service.name"="api"}`) and native
/// histogram values (`{{schema:1 sum:3 count:22 buckets:[5 10 7]}}`, also `{{…}}x3` and
/// `{{…}}+{{…}}x3`, `{{…}}-{{…}}x3`).
public enum SeriesLine3 {
    public enum Value: Sendable, Equatable {
        case float(Double)
        case omitted
        /// A native histogram; `hintGiven` when the notation wrote `counter_reset_hint`
        /// (expected results compare the hint only then).
        case histogram(FloatHistogram, hintGiven: Bool)

        public var isHistogram: Bool {
            if case .histogram = self { return true }
            return false
        }
    }

    public static func parse(_ line: String) throws -> (Labels, [Value]) {
        let b = Array(line.utf8)
        var i = 0
        let labels = try parseLabels(b, &i, line)
        var values: [Value] = []
        while true {
            while i < b.count, b[i] == 32 || b[i] == 9 { i += 1 }
            if i >= b.count { break }
            let s = i
            if i + 1 < b.count, b[i] == 123, b[i + 1] == 123 {
                values.append(contentsOf: try histogramItem(b, &i, line))
                continue
            }
            while i < b.count, b[i] != 32, b[i] != 9 { i += 1 }
            for v in try SeriesDescription.expand(String(decoding: b[s..<i], as: UTF8.self)) {
                values.append(v.map(Value.float) ?? .omitted)
            }
        }
        return (labels, values)
    }

    /// One histogram item: `{{…}}`, `{{…}}x3` (4 copies) or `{{base}}+{{inc}}x3` /
    /// `{{base}}-{{inc}}x3` (base, then 3 times the previous plus or minus inc), as
    /// Prometheus's series grammar expands them.
    static func histogramItem(_ b: [UInt8], _ i: inout Int, _ line: String) throws -> [Value] {
        func fail(_ m: String) -> SeriesDescription.Error { SeriesDescription.Error(description: "\(m) in \(goQuote(line))") }
        func times() throws -> Int {
            guard i < b.count, b[i] == UInt8(ascii: "x") else { throw fail("expected x<n> after histogram increment") }
            i += 1
            let s = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            guard i > s, let n = Int(String(decoding: b[s..<i], as: UTF8.self)) else { throw fail("expected repetition count") }
            return n
        }
        func histogram() throws -> HistogramNotationParser.Result {
            var p = HistogramNotationParser(b, at: i)
            do {
                let r = try p.parseHistogram()
                i = p.pos
                return r
            } catch {
                throw fail("\(error)")
            }
        }
        let base = try histogram()
        let value = Value.histogram(base.histogram, hintGiven: base.counterResetHintGiven)
        guard i < b.count, b[i] != 32, b[i] != 9 else { return [value] }
        if b[i] == UInt8(ascii: "x") {
            return Array(repeating: value, count: try times() + 1)
        }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { throw fail("unexpected character after histogram") }
        let add = b[i] == UInt8(ascii: "+")
        i += 1
        let inc = try histogram()
        let n = try times()
        var out = [value]
        var cur = base.histogram
        for _ in 0..<n {
            if cur.schema > inc.histogram.schema {
                throw fail("error combining histograms: cannot merge from schema \(inc.histogram.schema) to \(cur.schema)")
            }
            do {
                if add { try cur.add(inc.histogram) } else { try cur.sub(inc.histogram) }
            } catch {
                throw fail("error combining histograms: \(error)")
            }
            out.append(.histogram(cur, hintGiven: inc.counterResetHintGiven))
        }
        return out
    }

    /// `name{label="v", "quoted.label"="v", "quoted.name"}`; leaves `i` after the labels.
    static func parseLabels(_ b: [UInt8], _ i: inout Int, _ line: String) throws -> Labels {
        func fail(_ m: String) -> SeriesDescription.Error { SeriesDescription.Error(description: "\(m) in \(goQuote(line))") }
        func skipSpace() { while i < b.count, b[i] == 32 || b[i] == 9 { i += 1 } }
        func quoted() throws -> String {
            let q = b[i]
            let s = i
            i += 1
            while i < b.count, b[i] != q {
                if b[i] == 92, q != 96 { i += 1 }
                i += 1
            }
            guard i < b.count else { throw fail("unterminated string") }
            i += 1
            return try unquoteGo(String(decoding: b[s..<i], as: UTF8.self))
        }
        func isQuote(_ c: UInt8) -> Bool { c == 34 || c == 39 || c == 96 }
        skipSpace()
        var pairs: [Label] = []
        let nameStart = i
        while i < b.count, Lexer.isAlnum(b[i]) || b[i] == 58 { i += 1 }
        var name: String? = i > nameStart ? String(decoding: b[nameStart..<i], as: UTF8.self) : nil
        if i < b.count, b[i] == 123 {
            i += 1
            while true {
                skipSpace()
                if i < b.count, b[i] == 125 { i += 1; break }
                guard i < b.count else { throw fail("unterminated label set") }
                let label: String
                if isQuote(b[i]) {
                    label = try quoted()
                } else {
                    let ls = i
                    while i < b.count, Lexer.isAlnum(b[i]) { i += 1 }
                    if ls == i { throw fail("expected label name") }
                    label = String(decoding: b[ls..<i], as: UTF8.self)
                }
                skipSpace()
                if i < b.count, b[i] == 44 || b[i] == 125 {
                    // A lone quoted string is the metric name.
                    if name != nil { throw fail("metric name set twice") }
                    name = label
                    if b[i] == 44 { i += 1 }
                    continue
                }
                guard i < b.count, b[i] == 61 else { throw fail("expected '='") }
                i += 1
                skipSpace()
                guard i < b.count, isQuote(b[i]) else { throw fail("expected label value") }
                pairs.append(Label(label, try quoted()))
                skipSpace()
                if i < b.count, b[i] == 44 { i += 1 }
            }
        }
        if let name {
            pairs.removeAll { $0.name == metricNameLabel }
            pairs.append(Label(metricNameLabel, name))
        }
        if pairs.isEmpty && i == nameStart { throw fail("missing metric") }
        return Labels(pairs)
    }
}
