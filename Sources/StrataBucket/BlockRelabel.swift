import Crypto
import StrataCore
import Yams

/// `--selector.relabel-config-file`: which blocks a store gateway serves, or which groups a
/// compactor owns, decided by Prometheus relabel rules over a block's external labels plus
/// `__block_id` (Thanos's selector). The subset that sharding needs is supported — `keep`,
/// `drop` and `hashmod` — so several gateways or compactors can split one bucket (`hashmod`
/// into a temporary label, then `keep` one value).
public struct BlockRelabel: Sendable {
    public enum Action: String, Sendable { case keep, drop, hashmod }

    public struct Rule: Sendable {
        public var action: Action
        public var sourceLabels: [String]
        public var separator: String
        public var regex: RE2Regex
        public var modulus: UInt64
        public var targetLabel: String
    }

    public var rules: [Rule]

    public init(rules: [Rule] = []) { self.rules = rules }

    public static let blockIDLabel = "__block_id"

    /// Parses a YAML list of rules (Prometheus `relabel_config` field names).
    public init(yaml: String) throws {
        guard let node = try Yams.load(yaml: yaml) else { self.init(); return }
        guard let list = node as? [Any] else { throw ConfigError("relabel config must be a YAML list of rules") }
        var rules: [Rule] = []
        for (i, item) in list.enumerated() {
            guard let m = item as? [String: Any] else { throw ConfigError("relabel rule \(i + 1) is not a mapping") }
            let actionName = ((m["action"] as? String) ?? "replace").lowercased()
            guard let action = Action(rawValue: actionName) else {
                throw ConfigError("relabel rule \(i + 1): action \"\(actionName)\" is not supported for block selection (keep, drop, hashmod)")
            }
            let sources = (m["source_labels"] as? [Any])?.map { "\($0)" } ?? []
            let pattern = m["regex"].map { "\($0)" } ?? "(.*)"
            let regex: RE2Regex
            do { regex = try RE2Regex(pattern) } catch { throw ConfigError("relabel rule \(i + 1): \(error)") }
            let modulus = UInt64("\(m["modulus"] ?? 0)") ?? 0
            let target = (m["target_label"] as? String) ?? ""
            if action == .hashmod && (modulus == 0 || target.isEmpty) {
                throw ConfigError("relabel rule \(i + 1): hashmod needs a modulus > 0 and a target_label")
            }
            rules.append(Rule(action: action, sourceLabels: sources, separator: (m["separator"] as? String) ?? ";",
                              regex: regex, modulus: modulus, targetLabel: target))
        }
        self.init(rules: rules)
    }

    /// True when the block with these external labels and ID is kept.
    public func keeps(externalLabels: Labels, blockID: String) -> Bool {
        var labels: [String: String] = [Self.blockIDLabel: blockID]
        for l in externalLabels.pairs { labels[l.name] = l.value }
        for r in rules {
            let value = r.sourceLabels.map { labels[$0] ?? "" }.joined(separator: r.separator)
            switch r.action {
            case .keep: if !r.regex.fullMatch(value) { return false }
            case .drop: if r.regex.fullMatch(value) { return false }
            case .hashmod: labels[r.targetLabel] = String(Self.hashmod(value, r.modulus))
            }
        }
        return true
    }

    /// Prometheus's hashmod: the last 8 bytes of the MD5 of `value`, big-endian, mod `m`.
    static func hashmod(_ value: String, _ m: UInt64) -> UInt64 {
        let digest = Array(Insecure.MD5.hash(data: Array(value.utf8)))
        var s: UInt64 = 0
        for b in digest[8..<16] { s = s << 8 | UInt64(b) }
        return s % m
    }
}
