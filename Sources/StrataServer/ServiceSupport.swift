/// Readiness flag shared by a service and its admin server's `/-/ready`.
public actor ReadyState {
    public private(set) var isReady = false
    public init() {}
    public func setReady() { isReady = true }
}
