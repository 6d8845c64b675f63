/// Strata's version, reported by `--version` and `/api/v1/status/buildinfo`.
public enum StrataVersion {
    public static let version = "0.1.0"
}
