import StrataCore

/// Instant functions over a range (`histogram_quantile` over a day of bucket sums, `abs`,
/// `label_replace`, …) evaluated on all cores: the steps are cut into chunks, each walked
/// from its first step with its own cursors and its own function state, and the outputs
/// are assembled and counted in step order exactly as `rangeEval` does, so the series, the
/// sample limit's verdict, an error's step and the annotations (merged in step order) are
/// those of the serial walk. Only under `columnar` (the per-step path stays the reference).
extension Evaluator {
    /// About this many input samples per chunk.
    static let stepChunkSamples = 16_384

    func rangeEvalFunction(_ c: Call, _ st: inout FunctionState) throws -> [Series] {
        let mats = try c.args.map { e in e.type == .string ? [] : try eval(e).matrix }
        let inputs = mats.reduce(0) { $0 + $1.count }
        guard shared.columnar, start != end, activeCores > 1, inputs * numSteps >= Self.parallelWindowThreshold else {
            return try rangeEval(matrices: mats) { inp in try InstantFunctions.call(c, inp, &st) }
        }
        let inputSamples = mats.reduce(0) { $0 + $1.reduce(0) { $0 + $1.sampleCount } }
        defer { shared.currentSamples -= inputSamples }

        struct Chunk: Sendable {
            var results: [[Sample]] = []
            var annotations = Annotations()
            var error: (any Error)?
        }
        let steps = numSteps, start = self.start, interval = self.interval
        let compat = shared.compat, delayNameRemoval = shared.delayNameRemoval
        let perChunk = max(1, Self.stepChunkSamples / max(1, inputs))
        let perRound = perChunk * activeCores * 4
        var assembly = StepAssembly(steps: steps)
        for roundStart in stride(from: 0, to: steps, by: perRound) {
            try shared.checkDeadline("expression evaluation")
            let firsts = Array(stride(from: roundStart, to: min(steps, roundStart + perRound), by: perChunk))
            let chunks = concurrentMap(firsts.count) { k -> Chunk in
                var state = FunctionState(compat: compat, delayNameRemoval: delayNameRemoval)
                var walk = StepWalk(mats, from: start + Int64(firsts[k]) * interval)
                var input = StepInput(matrices: mats)
                var chunk = Chunk()
                for step in firsts[k]..<min(steps, firsts[k] + perChunk) {
                    walk.fill(&input, at: start + Int64(step) * interval, keys: nil)
                    do { chunk.results.append(try InstantFunctions.call(c, input, &state)) } catch {
                        chunk.error = error
                        break
                    }
                }
                chunk.annotations = state.annotations
                return chunk
            }
            for (k, chunk) in chunks.enumerated() {
                for (j, result) in chunk.results.enumerated() {
                    try admit(result, ids: nil)
                    assembly.add(result, ids: nil, at: start + Int64(firsts[k] + j) * interval)
                }
                st.annotations.merge(chunk.annotations)
                if let error = chunk.error { throw error }
            }
        }
        return assembly.out
    }
}
