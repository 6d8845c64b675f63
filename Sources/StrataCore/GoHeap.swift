/// Go's container/heap over an array and a `less`, reproduced so PromQL's topk/bottomk order
/// ties exactly as Prometheus does (eval_ordered tests observe it); also the binary heap of
/// anything else that needs one (the query watchdog's deadlines). Inlinable: the PromQL hot
/// paths specialize it across the module boundary.
public enum GoHeap {
    @inlinable
    public static func up<T>(_ h: inout [T], _ j0: Int, _ less: (T, T) -> Bool) {
        var j = j0
        while true {
            let i = (j - 1) / 2
            if i == j || j <= 0 || !less(h[j], h[i]) { break }
            h.swapAt(i, j)
            j = i
        }
    }

    @inlinable
    public static func down<T>(_ h: inout [T], _ i0: Int, _ n: Int, _ less: (T, T) -> Bool) -> Bool {
        var i = i0
        while true {
            let j1 = 2 * i + 1
            if j1 >= n || j1 < 0 { break }
            var j = j1
            let j2 = j1 + 1
            if j2 < n && less(h[j2], h[j1]) { j = j2 }
            if !less(h[j], h[i]) { break }
            h.swapAt(i, j)
            i = j
        }
        return i > i0
    }

    @inlinable
    public static func push<T>(_ h: inout [T], _ x: T, less: (T, T) -> Bool) {
        h.append(x)
        up(&h, h.count - 1, less)
    }

    @inlinable
    public static func pop<T>(_ h: inout [T], less: (T, T) -> Bool) -> T {
        let n = h.count - 1
        h.swapAt(0, n)
        _ = down(&h, 0, n, less)
        return h.removeLast()
    }
}
