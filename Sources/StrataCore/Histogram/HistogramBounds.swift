/// Bucket boundaries of native histograms, computed exactly as Prometheus's `getBound`, so
/// boundaries printed or returned by the API match Prometheus bit for bit.
public enum HistogramBounds {
    /// Upper bound of bucket `index` (the lower bound is the upper bound of `index - 1`).
    /// Exponential schemas: 2^(index·2^-schema), from the fraction table for positive
    /// schemas; the last finite bucket ends at `Double.greatestFiniteMagnitude` so that ±Inf
    /// observations keep their own bucket. Custom buckets: `customValues[index]`, -Inf at
    /// -1 and +Inf at `customValues.count`; indices outside that range answer NaN
    /// (Prometheus panics; a decoded chunk must not crash a server).
    public static func bound(_ index: Int32, schema: Int32, customValues: [Double] = []) -> Double {
        if HistogramSchema.isCustomBuckets(schema) {
            let n = Int32(customValues.count)
            switch index {
            case n: return .infinity
            case -1: return -.infinity
            case 0..<n: return customValues[Int(index)]
            default: return .nan
            }
        }
        return exponential(index, schema: schema)
    }

    static func exponential(_ index: Int32, schema: Int32) -> Double {
        if schema < 0 {
            let shift = Int(-schema)
            guard shift < 32 else { return .nan }
            let exp = Int(index) << shift
            if exp == 1024 { return .greatestFiniteMagnitude }
            return Double(sign: .plus, exponent: exp, significand: 1)
        }
        guard schema <= HistogramSchema.exponentialMax else { return .nan }
        let fracIdx = Int(index) & ((1 << Int(schema)) - 1)
        let frac = exponentialBoundFractions[Int(schema)][fracIdx]
        let exp = (Int(index) >> Int(schema)) + 1
        if frac == 0.5 && exp == 1025 { return .greatestFiniteMagnitude }
        return Double(sign: .plus, exponent: exp, significand: frac)
    }
}
