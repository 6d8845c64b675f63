// Go's sort.Sort, reproduced so sort() and topk/bottomk order ties exactly as Prometheus does
// (Go's container/heap is `GoHeap` in StrataCore).

/// `sort.Sort(sort.Reverse(data))` with Go's algorithm for short inputs (insertion sort,
/// n <= 12) and a heap sort otherwise, both driven only by `less` like Go's.
func goSortReverse<T>(_ a: inout [T], less: (T, T) -> Bool) {
    let rless: (T, T) -> Bool = { x, y in less(y, x) }
    goSort(&a, less: rless)
}

func goSort<T>(_ a: inout [T], less: (T, T) -> Bool) {
    let n = a.count
    if n <= 12 {
        var i = 1
        while i < n {
            var j = i
            while j > 0 && less(a[j], a[j - 1]) {
                a.swapAt(j, j - 1)
                j -= 1
            }
            i += 1
        }
        return
    }
    // Heap sort: O(n log n) and tolerant of comparators that are not strict weak orders
    // (NaN handling in Prometheus's Less functions).
    var i = (n - 1) / 2
    while i >= 0 {
        siftDown(&a, i, n, less)
        i -= 1
    }
    var end = n - 1
    while end >= 0 {
        a.swapAt(0, end)
        siftDown(&a, 0, end, less)
        end -= 1
    }
}

private func siftDown<T>(_ a: inout [T], _ lo: Int, _ hi: Int, _ less: (T, T) -> Bool) {
    var root = lo
    while true {
        var child = 2 * root + 1
        if child >= hi { return }
        if child + 1 < hi && less(a[child], a[child + 1]) { child += 1 }
        if !less(a[root], a[child]) { return }
        a.swapAt(root, child)
        root = child
    }
}
