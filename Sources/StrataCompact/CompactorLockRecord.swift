import Foundation
import StrataCore

extension CompactorLock {
    /// What the lock object says.
    ///
    /// Every write carries a fresh `nonce`: after a write whose answer was lost, reading the
    /// object back and finding our nonce is the only proof that the write landed (an owner id
    /// alone cannot tell a renewal that landed from the previous one).
    public struct Holder: Sendable, Equatable {
        public var owner: String
        public var host: String
        public var pid: Int
        public var acquiredMs: Int64
        /// When the holder last wrote the object, by its own clock.
        public var renewedMs: Int64
        public var expiresMs: Int64
        public var nonce: String
        /// Set by a clean release: the bucket is free, nobody needs to wait for `expires`.
        /// The object is kept rather than deleted, because an unconditional delete could
        /// remove a lock another compactor took a moment earlier.
        public var released: Bool
        /// The holder's `--selector.relabel-config` rules; nil: it compacts the whole bucket.
        public var selection: String?

        public init(owner: String, host: String, pid: Int, acquiredMs: Int64, renewedMs: Int64? = nil, expiresMs: Int64,
                    nonce: String = "", released: Bool = false, selection: String? = nil) {
            self.owner = owner
            self.host = host
            self.pid = pid
            self.acquiredMs = acquiredMs
            self.renewedMs = renewedMs ?? acquiredMs
            self.expiresMs = expiresMs
            self.nonce = nonce
            self.released = released
            self.selection = selection
        }

        /// Who holds it, for messages.
        var who: String { "owner \(owner) on host \(host) pid \(pid)" }

        /// The TTL the holder works with (its renewals push `expires` this far ahead).
        var ttlMs: Int64 { max(0, expiresMs - renewedMs) }

        var encoded: [UInt8] {
            var o: [JSONMember] = [
                JSONMember("owner", .string(owner)), JSONMember("host", .string(host)), JSONMember("pid", .int(Int64(pid))),
                JSONMember("acquired", .string(formatRFC3339(acquiredMs))), JSONMember("renewed", .string(formatRFC3339(renewedMs))),
                JSONMember("expires", .string(formatRFC3339(expiresMs))), JSONMember("nonce", .string(nonce)),
            ]
            if released { o.append(JSONMember("released", .bool(true))) }
            if let selection { o.append(JSONMember("selection", .string(selection))) }
            o.append(JSONMember("version", .string(StrataVersion.version)))
            return Array((JSONValue.object(o).serialized(indent: "\t") + "\n").utf8)
        }

        /// Parses a lock object, also one written by an older Strata (no nonce, renewed or
        /// released); nil for anything that is not a lock object.
        init?(json bytes: [UInt8]) {
            guard let v = try? JSONValue(parsing: bytes), let owner = v["owner"]?.stringValue, !owner.isEmpty,
                  let exp = v["expires"]?.stringValue.flatMap(parseRFC3339) else { return nil }
            let acquired = v["acquired"]?.stringValue.flatMap(parseRFC3339) ?? 0
            self.init(owner: owner, host: v["host"]?.stringValue ?? "?", pid: Int(v["pid"]?.int64Value ?? 0),
                      acquiredMs: acquired, renewedMs: v["renewed"]?.stringValue.flatMap(parseRFC3339) ?? acquired,
                      expiresMs: exp, nonce: v["nonce"]?.stringValue ?? "", released: v["released"]?.boolValue ?? false,
                      selection: v["selection"]?.stringValue)
        }
    }

    /// The lock object as read, with the ETag a compare-and-swap replaces.
    struct Observed: Sendable {
        var etag: String
        /// nil when the content is not a lock object (garbage, truncated, empty).
        var holder: Holder?
        var bytes: [UInt8]

        /// What an unreadable object looked like, for the log: size and a printable prefix.
        var garbageSummary: String {
            let text = String(decoding: bytes.prefix(120), as: UTF8.self)
            let printable = String(text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "." })
            return "\(bytes.count) bytes: \"\(printable)\(bytes.count > 120 ? "…" : "")\""
        }
    }
}
