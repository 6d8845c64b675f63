import StrataRemoteWrite
import Synchronization

/// One `SeriesInterner` per tenant: the decoder finds a known series' labels and, as its tag,
/// the tenant's head series ref (set by `LocalWriter` when it first appends the series), so
/// a steady stream of known series is appended by ref with one hash lookup per series. A ref
/// the head has dropped since (its series went into a block) is looked up again by labels.
final class TenantInterners: Sendable {
    private let byTenant = Mutex<[String: SeriesInterner]>([:])

    func interner(_ tenant: String) -> SeriesInterner {
        byTenant.withLock { m in
            if let i = m[tenant] { return i }
            let i = SeriesInterner()
            m[tenant] = i
            return i
        }
    }

    func existing(_ tenant: String) -> SeriesInterner? { byTenant.withLock { $0[tenant] } }
}
