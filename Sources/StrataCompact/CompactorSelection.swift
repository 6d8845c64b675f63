import Crypto
import Foundation
import StrataBucket
import StrataCore

/// `--selector.relabel-config(-file)` on strata-compact: the compaction groups this compactor
/// owns, so that several compactors share one bucket (Thanos's compactor sharding). Relabel
/// rules (`keep`, `drop`, `hashmod`) run over each block's external labels; a group belongs to
/// the compactor whose rules keep its blocks.
///
/// A group must be owned whole: every block of a group (external labels without the replica
/// labels) is compacted into one block, so rules may not read `__block_id`, and a group whose
/// blocks the rules split is left alone with an error rather than half compacted.
///
/// Each selection has its own lock object (`CompactorLock.shardPrefix` + `shardID`); the lock
/// carries the rules, so every compactor can evaluate every other live compactor's selection
/// over the groups in the bucket and refuse to work beside one that selects a group it
/// selects too.
public struct CompactorSelection: Sendable {
    public let relabel: BlockRelabel
    /// The rules as given (trimmed): written into the lock object, parsed by the others.
    public let text: String

    public init(yaml: String) throws {
        let text = yaml.trimmingCharacters(in: .whitespacesAndNewlines)
        let relabel = try BlockRelabel(yaml: text)
        if relabel.rules.isEmpty { throw ConfigError("--selector.relabel-config has no rules: leave it out to compact the whole bucket") }
        if relabel.rules.contains(where: { $0.sourceLabels.contains(BlockRelabel.blockIDLabel) }) {
            throw ConfigError("--selector.relabel-config: a compactor owns whole groups, so its rules cannot read \(BlockRelabel.blockIDLabel); select by external labels")
        }
        self.relabel = relabel
        self.text = text
    }

    /// Names the selection's lock object: compactors with the same rules share one lock (one
    /// of them works, as without sharding), different rules have different locks.
    public var shardID: String {
        SHA256.hash(data: Array(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether a block with these external labels is this compactor's.
    public func selects(_ externalLabels: Labels) -> Bool {
        relabel.keeps(externalLabels: externalLabels, blockID: "")
    }

    /// Rules on one line, for messages that name two selections.
    static func oneLine(_ text: String) -> String {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    /// The groups (external labels without `replicaLabels`) that both selections touch, among
    /// those of `labelSets`; nil for either selection means the whole bucket.
    static func overlap(_ a: CompactorSelection?, _ b: CompactorSelection?, labelSets: [Labels], replicaLabels: Set<String>) -> [Labels] {
        func touched(_ s: CompactorSelection?) -> Set<Labels> {
            Set(labelSets.filter { s?.selects($0) ?? true }.map { $0.removing(replicaLabels) })
        }
        return touched(a).intersection(touched(b)).sorted()
    }
}
