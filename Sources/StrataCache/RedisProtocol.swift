/// The parts of RESP (Redis serialization protocol) the index cache uses: commands as
/// arrays of bulk strings, and replies (status, error, integer, bulk, array).
enum RESP {
    indirect enum Reply: Equatable {
        case status(String)
        case error(String)
        case integer(Int64)
        case bulk([UInt8]?)
        case array([Reply]?)
    }

    static func command(_ parts: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(parts.count)\r\n".utf8)
        for p in parts {
            out += Array("$\(p.count)\r\n".utf8)
            out += p
            out += [13, 10]
        }
        return out
    }

    static func read(_ s: CacheSocket) throws -> Reply {
        let line = try s.readLine()
        guard let kind = line.first else { throw CacheClientError("empty RESP reply") }
        let rest = String(decoding: line.dropFirst(), as: UTF8.self)
        switch kind {
        case UInt8(ascii: "+"): return .status(rest)
        case UInt8(ascii: "-"): return .error(rest)
        case UInt8(ascii: ":"):
            guard let n = Int64(rest) else { throw CacheClientError("bad RESP integer \(rest)") }
            return .integer(n)
        case UInt8(ascii: "$"):
            guard let n = Int(rest) else { throw CacheClientError("bad RESP bulk length \(rest)") }
            if n < 0 { return .bulk(nil) }
            let data = try s.readExact(n + 2)
            return .bulk(Array(data[0..<n]))
        case UInt8(ascii: "*"):
            guard let n = Int(rest) else { throw CacheClientError("bad RESP array length \(rest)") }
            if n < 0 { return .array(nil) }
            var items: [Reply] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try read(s)) }
            return .array(items)
        default:
            throw CacheClientError("unexpected RESP reply type \(kind)")
        }
    }
}
