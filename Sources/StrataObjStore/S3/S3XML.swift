/// Just enough XML for S3 answers: flat elements with text content, entity-decoded.
///
/// S3 responses are machine-generated, shallow and small (≤ 1000 list entries), so a scanner
/// that finds `<Name>…</Name>` spans is simpler and more predictable than a general parser.
/// Nested lookup is done by first taking the inner text of the container elements.
enum S3XML {
    /// Inner texts (raw, not decoded) of every `<name>…</name>` element in `xml`, in order.
    /// Self-closing `<name/>` yields "".
    static func elements(_ name: String, in xml: Substring) -> [Substring] {
        var out: [Substring] = []
        let open = "<" + name
        let close = "</" + name + ">"
        var rest = xml[...]
        while let start = rest.range(of: open) {
            let afterName = start.upperBound
            guard afterName < rest.endIndex else { break }
            let next = rest[afterName]
            // Skip longer names sharing the prefix (<Key> vs <KeyCount>).
            if next != ">" && next != " " && next != "/" { rest = rest[afterName...]; continue }
            guard let gt = rest[afterName...].firstIndex(of: ">") else { break }
            if rest[rest.index(before: gt)] == "/" {
                out.append(rest[gt..<gt])
                rest = rest[rest.index(after: gt)...]
                continue
            }
            let contentStart = rest.index(after: gt)
            guard let end = rest[contentStart...].range(of: close) else { break }
            out.append(rest[contentStart..<end.lowerBound])
            rest = rest[end.upperBound...]
        }
        return out
    }

    /// Decoded text of the first `<name>` element, or nil.
    static func text(_ name: String, in xml: Substring) -> String? {
        elements(name, in: xml).first.map { decodeEntities($0) }
    }

    static func decodeEntities(_ s: Substring) -> String {
        guard s.contains("&") else { return String(s) }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "&", let semi = s[i...].firstIndex(of: ";") {
                let ent = s[s.index(after: i)..<semi]
                var rep: String?
                switch ent {
                case "amp": rep = "&"
                case "lt": rep = "<"
                case "gt": rep = ">"
                case "quot": rep = "\""
                case "apos": rep = "'"
                default:
                    if ent.hasPrefix("#x"), let v = UInt32(ent.dropFirst(2), radix: 16), let u = Unicode.Scalar(v) {
                        rep = String(Character(u))
                    } else if ent.hasPrefix("#"), let v = UInt32(ent.dropFirst()), let u = Unicode.Scalar(v) {
                        rep = String(Character(u))
                    }
                }
                if let rep {
                    out += rep
                    i = s.index(after: semi)
                    continue
                }
            }
            out.append(s[i])
            i = s.index(after: i)
        }
        return out
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Form-URL decoding used by `encoding-type=url` listings: `%XX` bytes, `+` is a space.
    static func urlDecode(_ s: String) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), it.count >= 2,
                      let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The `Code` and `Message` of an S3 `<Error>` body, if there is one.
    static func error(_ body: String) -> (code: String, message: String)? {
        guard let e = elements("Error", in: body[...]).first else { return nil }
        return (text("Code", in: e) ?? "", text("Message", in: e) ?? "")
    }
}
