import Foundation
import Logging
import StrataCore
import StrataObjStore
import StrataStoreAPI
import StrataTSDB

/// Label names and values: from the index-headers when no matcher needs series, else from
/// the series entries of the matching postings (ranged reads, under the byte budget).
extension BucketStore {
    // MARK: label names and values

    /// Blocks overlapping `[start, end]` with their matchers left after external labels.
    func labelBlocks(_ start: Int64, _ end: Int64, _ ms: [Matcher]) -> [(BucketBlock, [Matcher])] {
        let lo = max(start, config.minTime), hi = min(end, config.maxTime)
        return blocks.filter { $0.meta.minTime <= hi && $0.meta.maxTime > lo }.compactMap { b in
            LocalBlockStore.blockMatchers(ms, external: b.externalLabels).map { (b, $0) }
        }
    }

    /// Label sets of series matching `ms` in `block` with data in `[start, end]`.
    func matchingLabels(_ block: BucketBlock, _ ms: [Matcher], _ start: Int64, _ end: Int64,
                                fetcher: RangeFetcher) async throws -> [Labels] {
        let refs = try await block.postings(ms, fetcher: fetcher)
        return try await block.series(refs, fetcher: fetcher)
            .filter { s in s.chunks.contains { $0.maxTime >= start && $0.minTime <= end } }.map(\.labels)
    }

    public func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse {
        try await metrics.time("label_names") {
            let ms = try storeMatchers(request.matchers)
            let budget = RequestBudget(limits: config.limits)
            let fetcher = makeFetcher(budget)
            defer { record(budget) }
            var names = Set<String>()
            var warnings: [String] = []
            let work = labelBlocks(request.start, request.end, ms)
            try await forEachBlock(work.map(\.0)) { [start = request.start, end = request.end] b -> [String] in
                let bm = LocalBlockStore.blockMatchers(ms, external: b.externalLabels) ?? []
                var n = Set(b.externalLabels.pairs.map(\.name))
                if bm.isEmpty {
                    n.formUnion(b.header.labelNames)
                } else {
                    for l in try await self.matchingLabels(b, bm, start, end, fetcher: fetcher) { n.formUnion(l.pairs.map(\.name)) }
                    if n.count == b.externalLabels.count { return [] }
                }
                return Array(n)
            } collect: { names.formUnion($0) } failed: { warnings.append($1) }
            var r = Thanos_LabelNamesResponse()
            r.names = names.sorted(by: bytewiseLess)
            r.warnings = warnings
            return r
        }
    }

    public func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse {
        try await metrics.time("label_values") {
            let ms = try storeMatchers(request.matchers)
            let budget = RequestBudget(limits: config.limits)
            let fetcher = makeFetcher(budget)
            defer { record(budget) }
            var values = Set<String>()
            var warnings: [String] = []
            let label = request.label
            let work = labelBlocks(request.start, request.end, ms)
            try await forEachBlock(work.map(\.0)) { [start = request.start, end = request.end] b -> [String] in
                let bm = LocalBlockStore.blockMatchers(ms, external: b.externalLabels) ?? []
                if b.externalLabels.has(label) { return [b.externalLabels[label]] }
                if bm.isEmpty { return b.header.values(label) }
                return try await self.matchingLabels(b, bm, start, end, fetcher: fetcher).map { $0[label] }.filter { !$0.isEmpty }
            } collect: { values.formUnion($0) } failed: { warnings.append($1) }
            var r = Thanos_LabelValuesResponse()
            r.values = values.sorted(by: bytewiseLess)
            r.warnings = warnings
            return r
        }
    }
}
