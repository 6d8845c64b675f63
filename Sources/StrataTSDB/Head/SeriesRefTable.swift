/// The head's series by ref. Refs are handed out in sequence from 1 (and Prometheus's WAL
/// refs are sequential too), so a dense array indexed by ref finds a series with one load —
/// a hashed lookup per appended sample cost a fifth of the append path — and takes 8 bytes
/// per ref instead of a dictionary entry's 20–40. Refs far beyond the dense range (a foreign
/// WAL with huge refs) go to a dictionary rather than growing the array to them. Slots of
/// removed series stay empty: refs are never reused.
struct SeriesRefTable {
    private var dense: [MemSeries?] = []
    private var sparse: [UInt64: MemSeries] = [:]
    private(set) var count = 0

    subscript(ref: UInt64) -> MemSeries? {
        get {
            if ref < UInt64(dense.count) { return dense[Int(ref)] }
            return sparse.isEmpty ? nil : sparse[ref]
        }
        set {
            let old = self[ref]
            if old != nil { count -= 1 }
            if newValue != nil { count += 1 }
            if ref < UInt64(dense.count) {
                dense[Int(ref)] = newValue
            } else if ref < UInt64(dense.count) + (1 << 20) {
                if newValue == nil { return }
                dense.append(contentsOf: repeatElement(nil, count: Int(ref) - dense.count + 1))
                dense[Int(ref)] = newValue
                // Sparse refs the dense range now covers move into it.
                for (r, s) in sparse where r < UInt64(dense.count) {
                    dense[Int(r)] = s
                    sparse[r] = nil
                }
            } else {
                sparse[ref] = newValue
            }
        }
    }

    /// Every series (a copy: callers may remove while iterating).
    var values: [MemSeries] {
        var out: [MemSeries] = []
        out.reserveCapacity(count)
        for s in dense { if let s { out.append(s) } }
        out.append(contentsOf: sparse.values)
        return out
    }
}
