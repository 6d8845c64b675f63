import Foundation

/// The shared credentials file (`~/.aws/credentials`, or `AWS_SHARED_CREDENTIALS_FILE`),
/// profile `AWS_PROFILE` or `default` — the third place Thanos (minio) looks for keys.
struct AWSCredentialsFile {
    var accessKey: String
    var secretKey: String
    var sessionToken: String

    static func load(environment: [String: String]) throws -> AWSCredentialsFile? {
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"]
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.aws/credentials"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return parse(text, profile: environment["AWS_PROFILE"] ?? "default")
    }

    /// INI: `[profile]` sections with `key = value` lines; `#`/`;` comments.
    static func parse(_ text: String, profile: String) -> AWSCredentialsFile? {
        var section = ""
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard section == profile, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            values[key] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        guard let ak = values["aws_access_key_id"], let sk = values["aws_secret_access_key"], !ak.isEmpty, !sk.isEmpty else {
            return nil
        }
        return AWSCredentialsFile(accessKey: ak, secretKey: sk, sessionToken: values["aws_session_token"] ?? "")
    }
}
