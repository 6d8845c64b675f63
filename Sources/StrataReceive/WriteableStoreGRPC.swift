import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import StrataRemoteWrite
import StrataSecurity
import StrataStoreAPI
import Synchronization

/// Thanos's `thanos.WriteableStore/RemoteWrite`, how receivers forward series to each other
/// (a Thanos receiver and a Strata receiver can share a hashring). The request is decoded
/// by `ThanosWriteRequest` straight into a `WriteBatch`, so the messages travel as raw bytes
/// through gRPC and no generated message is built on either side.
enum WriteableStore {
    static let remoteWrite = MethodDescriptor(fullyQualifiedService: "thanos.WriteableStore", method: "RemoteWrite")

    struct Bytes: MessageSerializer, MessageDeserializer {
        func serialize<B: GRPCContiguousBytes>(_ message: [UInt8]) throws -> B { B(message) }
        func deserialize<B: GRPCContiguousBytes>(_ bytes: B) throws -> [UInt8] { bytes.withUnsafeBytes { Array($0) } }
    }

    /// Errors a receiver answers a forwarded write with, as Thanos's receiver codes them.
    static func rpcError(_ e: Error) -> RPCError {
        guard let r = e as? ReceiveError else { return RPCError(code: .internalError, message: "\(e)") }
        switch r {
        case .conflict: return RPCError(code: .alreadyExists, message: r.description)
        case .invalid, .invalidTenant, .unsupportedMediaType: return RPCError(code: .invalidArgument, message: r.description)
        case .tooLarge, .tooManyRequests: return RPCError(code: .resourceExhausted, message: r.description)
        case .unavailable: return RPCError(code: .unavailable, message: r.description)
        case .internal: return RPCError(code: .internalError, message: r.description)
        }
    }

    /// The forwarding side's reading of an answer: what counts as acknowledged.
    static func receiveError(_ e: Error, endpoint: String) -> ReceiveError {
        guard let r = e as? RPCError else { return .unavailable("forwarding to \(endpoint): \(e)") }
        let m = "forwarding to \(endpoint): \(r.message)"
        switch r.code {
        case .alreadyExists: return .conflict(m)
        case .invalidArgument: return .invalid(m)
        case .resourceExhausted: return .tooManyRequests(m)
        case .internalError: return .internal(m)
        default: return .unavailable(m)
        }
    }
}

/// The server side: a forwarded write is appended here only (it carries its replica).
struct WriteableStoreService: RegistrableRPCService {
    let distributor: Distributor

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: WriteableStore.remoteWrite, deserializer: WriteableStore.Bytes(),
                               serializer: WriteableStore.Bytes()) { request, _ in
            let message = try await ServerRequest(stream: request).message
            do {
                let r = try ThanosWriteRequest.decode(message)
                // Newer Thanos receivers forward several tenants at once (field 4).
                for part in r.allTenantBatches where !part.batch.series.isEmpty {
                    try await distributor.write(tenant: part.tenant, part.batch, replica: r.replica == 0 ? nil : r.replica)
                }
            } catch let e as RemoteWriteError {
                throw RPCError(code: .invalidArgument, message: "\(e)")
            } catch {
                throw WriteableStore.rpcError(error)
            }
            return StreamingServerResponse(single: ServerResponse(message: [UInt8]()))
        }
    }
}

/// The client side: one long-lived HTTP/2 connection per receiver in the hashring, made on
/// first use; a call is bounded by `--receive-forward-timeout`.
final class Forwarder: Sendable {
    let timeout: Duration
    let tls: ClientTLSConfig?
    private let clients = Mutex<[String: GRPCClient<HTTP2ClientTransport.Posix>]>([:])

    init(timeout: Duration, tls: ClientTLSConfig?) {
        self.timeout = timeout
        self.tls = tls
    }

    func client(_ address: String) throws -> GRPCClient<HTTP2ClientTransport.Posix> {
        try clients.withLock { cs in
            if let c = cs[address] { return c }
            let c = try GRPCStoreClient.makeClient(target: address, tls: tls)
            cs[address] = c
            Task { try? await c.runConnections() }
            return c
        }
    }

    func forward(_ endpoint: HashringEndpoint, tenant: String, replica: Int64, batch: WriteBatch) async throws {
        let body = ThanosWriteRequest(tenant: tenant, replica: replica, batch: batch).encode()
        var options = CallOptions.defaults
        options.timeout = timeout
        do {
            _ = try await client(endpoint.address).unary(
                request: ClientRequest(message: body), descriptor: WriteableStore.remoteWrite,
                serializer: WriteableStore.Bytes(), deserializer: WriteableStore.Bytes(), options: options) { try $0.message }
        } catch {
            throw WriteableStore.receiveError(error, endpoint: endpoint.address)
        }
    }

    func close() {
        for c in clients.withLock({ Array($0.values) }) { c.beginGracefulShutdown() }
    }
}
