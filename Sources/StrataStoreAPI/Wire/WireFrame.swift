import Foundation
import GRPCCore
import NIOCore
import StrataCore
import SwiftProtobuf

// Strata's direct transport between its own querier and Store API endpoints ("wire").
//
// Why: one gRPC call over grpc-swift 2 / NIO HTTP/2 costs ~0.6 ms of CPU on each side before any
// work is done (a stream channel and its pipeline set up and torn down, HPACK, per-stream flow
// control, async sequence hand-offs) — three times what Prometheus spends answering `up`. The
// wire carries the same protobuf messages as the Store API (the same one-pass frame codecs)
// over plain TCP, or TLS with the gRPC server's own certificate and client-CA checks, one call at
// a time per connection: TCP's own flow control is each call's back-pressure, closing the
// connection cancels the call, and idle connections are kept for the next call.
//
// Connection: the client first sends `preface`; then, per call, one `call` frame; the server
// answers with `message` frames and then exactly one `end` or `error` frame, after which the
// connection carries the next call. A frame is a 4-byte big-endian length of what follows, a
// 1-byte kind, and the payload.
//
// Only Strata speaks it: an endpoint advertises its wire port in its Info answer (an
// unknown field to Thanos, which ignores it), and Thanos peers keep using gRPC.

enum Wire {
    static let preface: [UInt8] = Array("STRATA-WIRE/1\n".utf8)
    /// Answer frames above this are refused: the gRPC client's largest message.
    static let maxAnswerFrame = Int(Int32.max)
    /// Call frames above this are refused before they are buffered: a call is a small request,
    /// and a client must not make the endpoint hold gigabytes for one.
    static let maxCallFrame = 16 << 20
    /// The Info field carrying the wire port: far above Thanos's field numbers.
    static let infoPortField = 5_353

    enum Kind: UInt8 {
        case call = 1, message = 2, end = 3, error = 4
    }

    /// The calls the wire carries: the two that carry a query's data.
    enum Method: UInt8 {
        case series = 1, queryRange = 2
    }

    /// TCP keepalive on both ends of every wire connection, set as it is created: a pooled
    /// connection a middlebox dropped or whose peer vanished is found after ~60 s idle (30 s,
    /// then 3 probes 10 s apart) instead of by the next query's deadline, and a load balancer's
    /// idle timeout (AWS NLB: 350 s) never sees a silent connection.
    static let keepalive = (idle: 30, interval: 10, count: 3)

    static func setKeepalive(_ channel: any Channel) throws {
        guard let options = channel.syncOptions else { return }
        try options.setOption(.socketOption(.so_keepalive), value: 1)
        try options.setOption(tcpOption(TCP_KEEPIDLE), value: keepalive.idle)
        try options.setOption(tcpOption(TCP_KEEPINTVL), value: keepalive.interval)
        try options.setOption(tcpOption(TCP_KEEPCNT), value: keepalive.count)
    }

    static func tcpOption(_ name: CInt) -> ChannelOptions.Types.SocketOption {
        ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: name))
    }

    /// A frame head for a payload of `count` bytes.
    static func head(_ kind: Kind, count: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var b = allocator.buffer(capacity: 5)
        b.writeInteger(UInt32(count + 1))
        b.writeInteger(kind.rawValue)
        return b
    }

    /// A whole small frame (call, end, error).
    static func frame(_ kind: Kind, _ payload: [UInt8] = [], allocator: ByteBufferAllocator) -> ByteBuffer {
        var b = head(kind, count: payload.count, allocator: allocator)
        b.writeBytes(payload)
        return b
    }

    static func call(_ method: Method, _ request: some SwiftProtobuf.Message, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let body: [UInt8] = try request.serializedBytes()
        var b = head(.call, count: body.count + 1, allocator: allocator)
        b.writeInteger(method.rawValue)
        b.writeBytes(body)
        return b
    }

    /// An error frame: a gRPC status code and message.
    static func error(_ code: Status.Code, _ message: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        frame(.error, [UInt8(code.rawValue)] + Array(message.utf8), allocator: allocator)
    }

    /// The gRPC status the gRPC server would answer `error` with.
    static func status(_ error: Error) -> (code: Status.Code, message: String) {
        guard let rpc = GRPCStoreServer.rpcError(error) as? RPCError else { return (.cancelled, "cancelled") }
        return (Status.Code(rpc.code), rpc.message)
    }

    /// The error an `error` frame stands for: the `RPCError` the gRPC client would throw, so
    /// callers treat both transports alike (e.g. `unimplemented` declines a pushdown).
    static func rpcError(_ payload: ByteBuffer) -> RPCError {
        var p = payload
        let code = p.readInteger(as: UInt8.self).flatMap { Status.Code(rawValue: Int($0)) }.flatMap(RPCError.Code.init)
        return RPCError(code: code ?? .internalError, message: p.readString(length: p.readableBytes) ?? "")
    }

    /// The wire port an Info answer advertises, if any.
    static func port(in info: Thanos_Info_InfoResponse) -> Int? {
        info.unknownFields.data.withUnsafeBytes { buf -> Int? in
            var r = ProtoReader(buf)
            while !r.atEnd {
                guard let key = r.varint() else { return nil }
                let field = Int(key >> 3)
                switch key & 7 {
                case 0:
                    guard let v = r.varint() else { return nil }
                    if field == infoPortField { return Int(exactly: v).flatMap { (1...65535).contains($0) ? $0 : nil } }
                case 1: guard r.fixed64() != nil else { return nil }
                case 2: guard r.bytes() != nil else { return nil }
                case 5: guard r.at + 4 <= r.end else { return nil }; r.at += 4
                default: return nil
                }
            }
            return nil
        }
    }

    /// Adds the wire port to an Info answer.
    static func advertise(port: Int, in info: inout Thanos_Info_InfoResponse) {
        let key = UInt64(infoPortField << 3)
        var bytes = [UInt8](repeating: 0, count: ProtoWriter.varintSize(key) + ProtoWriter.varintSize(UInt64(port)))
        bytes.withUnsafeMutableBytes { buf in
            var w = ProtoWriter(buf)
            w.varint(field: infoPortField, UInt64(port))
        }
        try? info.merge(serializedBytes: bytes)
    }
}

/// Where a Store API server listens for the wire (`--wire-address`).
public enum WireListen: Sendable, Equatable {
    case off
    /// The gRPC server's host, any free port (advertised in Info).
    case auto
    case address(host: String, port: Int)

    /// `off`, `auto` or `host:port`.
    public static func parse(_ s: String) throws -> WireListen {
        switch s {
        case "off", "false", "": return .off
        case "auto": return .auto
        default:
            guard let (host, port) = HostPort.split(s) else {
                throw StoreError.invalidArgument("--wire-address must be off, auto or host:port, got \"\(s)\"")
            }
            return .address(host: host, port: port)
        }
    }
}

/// One decoded frame.
struct WireFrame {
    let kind: Wire.Kind
    var payload: ByteBuffer
}

/// Splits the byte stream into frames. The server side first checks the client's preface (a
/// gRPC or HTTP client dialling the wire port is refused at once) and takes smaller frames.
struct WireFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = WireFrame
    var expectPreface: Bool
    let maxFrame: Int

    static var server: WireFrameDecoder { WireFrameDecoder(expectPreface: true, maxFrame: Wire.maxCallFrame) }
    static var client: WireFrameDecoder { WireFrameDecoder(expectPreface: false, maxFrame: Wire.maxAnswerFrame) }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if expectPreface {
            guard buffer.readableBytes >= Wire.preface.count else {
                guard buffer.readableBytesView.elementsEqual(Wire.preface.prefix(buffer.readableBytes)) else { throw WireError.protocolViolation("not a Strata wire client") }
                return .needMoreData
            }
            guard buffer.readBytes(length: Wire.preface.count) == Wire.preface else { throw WireError.protocolViolation("not a Strata wire client") }
            expectPreface = false
        }
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard length >= 1, Int(length) <= maxFrame else { throw WireError.protocolViolation("frame length \(length)") }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        let raw = buffer.readInteger(as: UInt8.self)!
        guard let kind = Wire.Kind(rawValue: raw) else { throw WireError.protocolViolation("frame kind \(raw)") }
        let payload = buffer.readSlice(length: Int(length) - 1)!
        context.fireChannelRead(NIOAny(WireFrame(kind: kind, payload: payload)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

enum WireError: Error, CustomStringConvertible {
    /// The peer sent something that is not the wire protocol.
    case protocolViolation(String)
    /// The connection closed (or could not be made) before the call ended.
    case connectionClosed(String)

    var description: String {
        switch self {
        case .protocolViolation(let m): return "Strata wire protocol violation: \(m)"
        case .connectionClosed(let m): return "Strata wire connection closed: \(m)"
        }
    }
}

/// Message bytes in a `ByteBuffer`, for the frame codecs (which take any `GRPCContiguousBytes`).
/// Bytes a codec creates keep room for the frame head in front, so a serialized message becomes
/// a frame without being copied (`framed`).
struct WireBytes: GRPCContiguousBytes {
    static let headRoom = 5
    var buffer: ByteBuffer

    /// Received bytes (no head room).
    init(_ buffer: ByteBuffer) { self.buffer = buffer }

    init(repeating byte: UInt8, count: Int) {
        buffer = ByteBuffer(repeating: byte, count: Self.headRoom + count)
        buffer.moveReaderIndex(forwardBy: Self.headRoom)
    }

    init<Bytes: Sequence>(_ sequence: Bytes) where Bytes.Element == UInt8 {
        buffer = ByteBuffer(repeating: 0, count: Self.headRoom)
        buffer.writeBytes(sequence)
        buffer.moveReaderIndex(forwardBy: Self.headRoom)
    }

    var count: Int { buffer.readableBytes }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeReadableBytes(body)
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeMutableReadableBytes(body)
    }

    /// The message as a whole frame of `kind`, its head written into the room in front.
    mutating func framed(_ kind: Wire.Kind) -> ByteBuffer {
        precondition(buffer.readerIndex == Self.headRoom, "framed() needs bytes made by a codec")
        let count = buffer.readableBytes
        buffer.moveReaderIndex(to: 0)
        buffer.setInteger(UInt32(count + 1), at: 0)
        buffer.setInteger(kind.rawValue, at: 4)
        return buffer
    }
}
