import Foundation
import NIOSSL
import StrataCore
import X509

/// Certificates and keys read from PEM files, with errors that name the file and the problem:
/// a service refuses to start on a bad file instead of failing its first handshake.
public enum PEMFiles {
    static func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("\(what) \(path): cannot read the file (missing or not readable)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError("\(what) \(path): not PEM text") }
        return text
    }

    /// Every certificate in the file (a chain, or a CA bundle); at least one.
    public static func certificates(_ path: String, what: String = "certificate") throws -> [NIOSSLCertificate] {
        let text = try read(path, what: what)
        let certs: [NIOSSLCertificate]
        do { certs = try NIOSSLCertificate.fromPEMBytes(Array(text.utf8)) } catch {
            throw ConfigError("\(what) \(path): not a PEM certificate (\(error))")
        }
        guard !certs.isEmpty else { throw ConfigError("\(what) \(path): no certificate in the file") }
        return certs
    }

    public static func privateKey(_ path: String) throws -> NIOSSLPrivateKey {
        try privateKey(pem: try read(path, what: "private key"), path: path)
    }

    static func privateKey(pem text: String, path: String) throws -> NIOSSLPrivateKey {
        do { return try NIOSSLPrivateKey(bytes: Array(text.utf8), format: .pem) } catch {
            // The key's bytes never reach the message: only the file name.
            throw ConfigError("private key \(path): not a PEM private key")
        }
    }

    /// The leaf certificate of `certFile` and the key of `keyFile`, checked to belong together:
    /// BoringSSL would only notice at the first handshake, as an opaque failure.
    public static func certifiedKey(certFile: String, keyFile: String) throws -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        let chain = try certificates(certFile)
        let pem = try read(keyFile, what: "private key")
        let key = try privateKey(pem: pem, path: keyFile)
        let leaf = try Certificate(derEncoded: chain[0].toDERBytes())
        let x509Key: Certificate.PrivateKey
        do { x509Key = try Certificate.PrivateKey(pemEncoded: pem) } catch {
            throw ConfigError("private key \(keyFile): key type not supported (RSA, ECDSA P-256/384/521 or Ed25519)")
        }
        guard x509Key.publicKey == leaf.publicKey else {
            throw ConfigError("private key \(keyFile) does not match the certificate \(certFile)")
        }
        return (chain, key)
    }

    /// Modification time and size of each file, to notice a rotation.
    static func stamp(_ paths: [String]) -> [String] {
        paths.map { p in
            guard let a = try? FileManager.default.attributesOfItem(atPath: p) else { return "\(p):missing" }
            let m = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(p):\(m):\(a[.size] ?? 0)"
        }
    }
}

/// A TLS protocol version as the flags and config files spell it: Thanos's `1.2` or the
/// Prometheus web config's `TLS12`.
public enum TLSVersionName {
    public static func parse(_ s: String) throws -> TLSVersion {
        switch s.uppercased() {
        case "1.0", "TLS10": return .tlsv1
        case "1.1", "TLS11": return .tlsv11
        case "1.2", "TLS12": return .tlsv12
        case "1.3", "TLS13": return .tlsv13
        default: throw ConfigError("unknown TLS version \"\(s)\" (1.0, 1.1, 1.2, 1.3 or TLS10..TLS13)")
        }
    }
}
