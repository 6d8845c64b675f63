/// Renders rows as an aligned plain-text table (the first row is the header).
public func renderTable(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = [Int](repeating: 0, count: first.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    var out = ""
    for r in rows {
        var line = ""
        for (i, c) in r.enumerated() {
            line += c
            if i < r.count - 1 { line += String(repeating: " ", count: widths[i] - c.count + 2) }
        }
        out += line + "\n"
    }
    return out
}
