import Foundation
import Logging
import NIOSSL
import StrataCore
import StrataSecurity
import StrataStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// gRPC mTLS between a Store API server and its clients, with certificates made by openssl:
/// the right client certificate gets answers; none, an expired one or one from another CA is
/// refused — checked with our client and with Python grpcio over the vendored .proto files
/// (an independent TLS and HTTP/2 stack). The server certificate is rotated on disk and
/// served from the next connection on.
@Suite(.serialized) struct GRPCTLSTests {
    static let logger = Logger(label: "tls-test")

    func startServer(_ certs: TestCertificates, minVersion: TLSVersion = .tlsv13) async throws -> (GRPCStoreServer, Int, Task<Void, Error>) {
        let store = LocalBlockStore(name: "blocks", blocks: try TestEnv.promBlocks().map { try BlockReader(dir: $0) })
        let tls = try ServerTLS(ServerTLSConfig(certFile: certs.serverCert, keyFile: certs.serverKey, clientCAFile: certs.caCert,
                                                minVersion: minVersion), logger: Self.logger)
        let server = GRPCStoreServer(store: store, host: "127.0.0.1", port: 0, tls: tls)
        let task = Task { try await server.serve() }
        return (server, try await server.boundPort(), task)
    }

    func info(port: Int, _ tls: ClientTLSConfig?) async -> Result<Thanos_Info_InfoResponse, any Error> {
        do {
            let client = try GRPCStoreClient(target: "127.0.0.1:\(port)", timeout: .seconds(5), tls: tls)
            defer { client.close() }
            return .success(try await client.info())
        } catch { return .failure(error) }
    }

    @Test(.timeLimit(.minutes(2))) func mutualTLSAcceptsOnlyTheRightClient() async throws {
        guard let certs = try TestCertificates.make(tag: "grpc-tls") else { return }
        let (server, port, task) = try await startServer(certs)
        defer { server.shutdown(); task.cancel() }

        let good = certs.goodClient
        let ok = try await info(port: port, good).get()
        #expect(ok.hasStore && ok.store.minTime > 0, "\(ok)")

        for (name, tls) in certs.refusedClients {
            if case .success = await info(port: port, tls) { Issue.record("\(name): the server answered") }
        }
        // The server's certificate is checked by the client too.
        var wrongTrust = good
        wrongTrust.caFile = certs.otherCACert
        if case .success = await info(port: port, wrongTrust) { Issue.record("client trusted a server outside its CA") }

        // The same with an independent client: Python grpcio, messages from the vendored protos.
        guard let python = try PythonGRPC.interpreter() else { return }
        let cases: [(String, String?, String?, Bool)] = [
            ("right", certs.clientCert, certs.clientKey, true), ("none", nil, nil, false),
            ("expired", certs.expiredCert, certs.expiredKey, false), ("other CA", certs.otherClientCert, certs.otherClientKey, false),
        ]
        for (name, cert, key, accepted) in cases {
            let r = try PythonGRPC.info(python: python, port: port, ca: certs.caCert, cert: cert, key: key)
            if accepted {
                #expect(r.status == 0 && r.stdout.contains("min_time"), "grpcio with the \(name) certificate: \(r.stderr)")
            } else {
                #expect(r.status != 0, "grpcio with the \(name) certificate was answered: \(r.stdout)")
            }
        }
    }

    @Test(.timeLimit(.minutes(2))) func rotatedCertificateIsServedWithoutRestart() async throws {
        guard let certs = try TestCertificates.make(tag: "grpc-rotate") else { return }
        let (server, port, task) = try await startServer(certs, minVersion: .tlsv12)
        defer { server.shutdown(); task.cancel() }
        let before = try certs.servedSerial(port: port)
        #expect(before == (try certs.serial(certs.serverCert)))
        let rotated = try certs.rotateServer()
        #expect(rotated != before)
        let seen = try await waitForAsync(10) { (try? certs.servedSerial(port: port)) == rotated }
        #expect(seen, "still serving \(String(describing: try? certs.servedSerial(port: port))) after rotating to \(rotated)")
        let good = certs.goodClient
        #expect((try? await info(port: port, good).get()) != nil)
    }

    @Test(.timeLimit(.minutes(1))) func minimumVersionIsEnforced() async throws {
        guard let certs = try TestCertificates.make(tag: "grpc-minver") else { return }
        let (server, port, task) = try await startServer(certs, minVersion: .tlsv13)
        defer { server.shutdown(); task.cancel() }
        let tls12 = try certs.handshake(port: port, options: "-tls1_2")
        #expect(tls12.contains("alert protocol version"), "a TLS 1.2 handshake against min 1.3 was not refused:\n\(tls12.suffix(600))")
        let tls13 = try certs.handshake(port: port, options: "-tls1_3")
        #expect(tls13.contains("TLSv1.3"), "\(tls13.suffix(600))")
    }

    @Test func badFilesFailAtStartNamingTheFile() throws {
        guard let certs = try TestCertificates.make(tag: "grpc-bad") else { return }
        func error(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        let missing = error { _ = try ServerTLS(ServerTLSConfig(certFile: certs.dir + "/nope.crt", keyFile: certs.serverKey), logger: Self.logger) }
        #expect(missing.contains("nope.crt") && missing.contains("cannot read"), "\(missing)")
        let mismatch = error { _ = try ServerTLS(ServerTLSConfig(certFile: certs.serverCert, keyFile: certs.clientKey), logger: Self.logger) }
        #expect(mismatch.contains("does not match") && mismatch.contains("client.key"), "\(mismatch)")
        let notPEM = error { _ = try ServerTLS(ServerTLSConfig(certFile: certs.dir + "/ext.cnf", keyFile: certs.serverKey), logger: Self.logger) }
        #expect(notPEM.contains("ext.cnf"), "\(notPEM)")
        let badCA = error {
            _ = try ServerTLS(ServerTLSConfig(certFile: certs.serverCert, keyFile: certs.serverKey, clientCAFile: certs.dir + "/x.crt"), logger: Self.logger)
        }
        #expect(badCA.contains("x.crt"), "\(badCA)")
        let clientMismatch = error { try ClientTLSConfig(caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.serverKey).validate() }
        #expect(clientMismatch.contains("does not match"), "\(clientMismatch)")
    }
}
