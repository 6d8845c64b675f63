import StrataCore

/// Where `count` zero buckets go in a bucket list when its spans grow (Prometheus
/// `chunkenc.Insert`): before the `pos`-th existing bucket, as bucket index `bucketIndex`….
struct BucketInsert: Equatable {
    var pos = 0
    var count = 0
    var bucketIndex = 0
}

/// Walks the bucket indices covered by spans (Prometheus `bucketIterator`).
struct SpanIndexIterator {
    let spans: [HistogramSpan]
    var span = 0
    var bucket = -1
    var idx = -1

    init(_ spans: [HistogramSpan]) {
        self.spans = spans
        if let f = spans.first { idx += Int(f.offset) }
    }

    mutating func next() -> Int? {
        guard span < spans.count else { return nil }
        if bucket < Int(spans[span].length) - 1 {
            bucket += 1
            idx += 1
            return idx
        }
        while span < spans.count - 1 {
            span += 1
            idx += Int(spans[span].offset) + 1
            bucket = 0
            if spans[span].length == 0 { idx -= 1; continue }
            return idx
        }
        return nil
    }
}

/// How the buckets of a new counter sample relate to the chunk's (Prometheus
/// `expandIntSpansAndBuckets` / `expandFloatSpansAndBuckets`): `forward` inserts make the
/// chunk cover buckets only the sample has; `backward` inserts make the sample cover empty
/// buckets only the chunk has. nil when a bucket went down or a non-empty one vanished,
/// i.e. a counter reset. `a`/`b` are absolute counts.
func expandSpansAndBuckets<V: Numeric & Comparable>(_ aSpans: [HistogramSpan], _ bSpans: [HistogramSpan],
                                                    _ a: [V], _ b: [V]) -> (forward: [BucketInsert], backward: [BucketInsert])? {
    var ai = SpanIndexIterator(aSpans), bi = SpanIndexIterator(bSpans)
    var aInserts: [BucketInsert] = [], bInserts: [BucketInsert] = []
    var aInter = BucketInsert(), bInter = BucketInsert()
    var aIdx = ai.next(), bIdx = bi.next()
    var aCountIdx = 0, bCountIdx = 0

    func add(_ inserts: inout [BucketInsert], _ ins: inout BucketInsert, _ other: Int) {
        if ins.count == 0 {
            ins.bucketIndex = other
        } else if ins.bucketIndex + ins.count != other {
            inserts.append(ins)
            ins.count = 0
            ins.bucketIndex = other
        }
        ins.count += 1
    }
    func advanceA() {
        if aInter.count > 0 { aInserts.append(aInter); aInter.count = 0 }
        aIdx = ai.next(); aInter.pos += 1; aCountIdx += 1
    }
    func advanceB() {
        if bInter.count > 0 { bInserts.append(bInter); bInter.count = 0 }
        bIdx = bi.next(); bInter.pos += 1; bCountIdx += 1
    }
    func count(_ v: [V], _ i: Int) -> V { i < v.count ? v[i] : 0 }

    while true {
        switch (aIdx, bIdx) {
        case let (x?, y?):
            if x == y {
                if count(a, aCountIdx) > count(b, bCountIdx) { return nil }
                advanceA(); advanceB()
            } else if x < y {
                guard count(a, aCountIdx) == 0 else { return nil }
                add(&bInserts, &bInter, x); advanceA()
            } else {
                add(&aInserts, &aInter, y); advanceB()
            }
        case let (x?, nil):
            guard count(a, aCountIdx) == 0 else { return nil }
            add(&bInserts, &bInter, x); advanceA()
        case let (nil, y?):
            add(&aInserts, &aInter, y); advanceB()
        case (nil, nil):
            if aInter.count > 0 { aInserts.append(aInter) }
            if bInter.count > 0 { bInserts.append(bInter) }
            return (aInserts, bInserts)
        }
    }
}

/// Merged spans of `a` and `b` with the inserts that expand each to them, counter resets
/// ignored (Prometheus `expandSpansBothWays`, used for gauge histograms).
func expandSpansBothWays(_ a: [HistogramSpan], _ b: [HistogramSpan])
    -> (forward: [BucketInsert], backward: [BucketInsert], merged: [HistogramSpan]) {
    var ai = SpanIndexIterator(a), bi = SpanIndexIterator(b)
    var fInserts: [BucketInsert] = [], bInserts: [BucketInsert] = []
    var merged: [HistogramSpan] = []
    var lastBucket = 0
    func addBucket(_ x: Int) {
        var offset = x - lastBucket - 1
        if offset == 0 && !merged.isEmpty {
            merged[merged.count - 1].length += 1
        } else {
            if merged.isEmpty { offset += 1 }
            merged.append(HistogramSpan(offset: Int32(truncatingIfNeeded: offset), length: 1))
        }
        lastBucket = x
    }
    var fInter = BucketInsert(), bInter = BucketInsert()
    var av = ai.next(), bv = bi.next()
    while true {
        switch (av, bv) {
        case let (x?, y?) where x == y:
            if fInter.count > 0 { fInserts.append(fInter); fInter.count = 0 }
            if bInter.count > 0 { bInserts.append(bInter); bInter.count = 0 }
            addBucket(x)
            av = ai.next(); bv = bi.next()
            fInter.pos += 1; bInter.pos += 1
        case let (x?, y?) where x < y:
            bInter.count += 1
            if fInter.count > 0 { fInserts.append(fInter); fInter.count = 0 }
            addBucket(x)
            fInter.pos += 1
            av = ai.next()
        case let (_?, y?):
            fInter.count += 1
            if bInter.count > 0 { bInserts.append(bInter); bInter.count = 0 }
            addBucket(y)
            bInter.pos += 1
            bv = bi.next()
        case let (x?, nil):
            bInter.count += 1
            addBucket(x)
            av = ai.next()
        case let (nil, y?):
            fInter.count += 1
            addBucket(y)
            bv = bi.next()
        case (nil, nil):
            if fInter.count > 0 { fInserts.append(fInter) }
            if bInter.count > 0 { bInserts.append(bInter) }
            return (fInserts, bInserts, merged)
        }
    }
}

/// `input` with zero buckets inserted (Prometheus `insert`). With `deltas`, values are
/// delta-encoded and the inserted buckets keep every absolute count unchanged.
func insertBuckets<V: Numeric>(_ input: [V], _ inserts: [BucketInsert], deltas: Bool) -> [V] {
    var out: [V] = []
    out.reserveCapacity(input.count + inserts.reduce(0) { $0 + $1.count })
    var v: V = 0
    var ii = 0
    for (i, d) in input.enumerated() {
        if ii >= inserts.count || i != inserts[ii].pos {
            out.append(d)
            v += d
            continue
        }
        var first = true
        while ii < inserts.count && i == inserts[ii].pos {
            if deltas && first { out.append(0 - v); first = false } else { out.append(0) }
            for _ in 1..<max(1, inserts[ii].count) { out.append(0) }
            ii += 1
        }
        out.append(deltas ? d + v : d)
        v += d
    }
    while ii < inserts.count {
        out.append(deltas ? 0 - v : 0)
        for _ in 1..<max(1, inserts[ii].count) { out.append(0) }
        ii += 1
        v = 0
    }
    return out
}

/// `spans` grown by the (backward) inserts (Prometheus `adjustForInserts`).
func adjustForInserts(_ spans: [HistogramSpan], _ inserts: [BucketInsert]) -> [HistogramSpan] {
    guard !inserts.isEmpty else { return spans }
    var it = SpanIndexIterator(spans)
    var merged: [HistogramSpan] = []
    var lastBucket = 0
    var i = 0
    var insertIdx = inserts[0].bucketIndex, insertNum = inserts[0].count
    func addBucket(_ x: Int) {
        var offset = x - lastBucket - 1
        if offset == 0 && !merged.isEmpty {
            merged[merged.count - 1].length += 1
        } else {
            if merged.isEmpty { offset += 1 }
            merged.append(HistogramSpan(offset: Int32(truncatingIfNeeded: offset), length: 1))
        }
        lastBucket = x
    }
    func consume() {
        insertNum -= 1
        if insertNum == 0 {
            i += 1
            if i < inserts.count { insertIdx = inserts[i].bucketIndex; insertNum = inserts[i].count }
        } else {
            insertIdx += 1
        }
    }
    var bucket = it.next()
    while let b = bucket {
        if i < inserts.count && insertIdx < b {
            addBucket(insertIdx); consume()
        } else {
            addBucket(b); bucket = it.next()
        }
    }
    while i < inserts.count { addBucket(insertIdx); consume() }
    return merged
}
