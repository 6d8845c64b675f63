import NIOCore
import NIOPosix
import StrataCore

/// Sends one query to one nameserver and waits for the reply, over UDP, or TCP when a UDP
/// reply came back truncated.
///
/// Why SwiftNIO and not blocking POSIX sockets: a lookup against a nameserver that does not
/// answer waits for seconds, and several endpoint specs are looked up at once. With NIO that
/// wait holds no thread (the cooperative pool has as many threads as cores, two here, and
/// the querier's queries run on it) and a cancelled lookup — the service shutting down —
/// ends at once instead of at its socket timeout. NIO is already linked by every service.
///
/// Each attempt uses a fresh socket on a random local port and a fresh random transaction id,
/// so a late reply to an earlier attempt cannot be taken for the answer. The UDP socket is
/// connected: the kernel drops datagrams from any other address, and a closed port fails fast
/// (ICMP port unreachable) instead of waiting for the timeout.
enum DNSTransport {
    typealias Decode = @Sendable ([UInt8]) throws -> DNSReply?

    /// The first UDP datagram `decode` accepts (it returns nil for replies to another
    /// question, which are skipped); nil when the timeout passes first.
    static func udp(_ query: [UInt8], to server: SocketAddress, timeout: Duration, decode: Decode) async throws -> DNSReply? {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(to: server) { ch in
                ch.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: ch)
                }
            }
        let closer = closeAfter(timeout, channel.channel)
        defer { closer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: query)))
            for try await datagram in inbound {
                if let reply = try decode(Array(buffer: datagram.data)) { return reply }
            }
            return nil
        }
    }

    /// The query over TCP (RFC 1035 §4.2.2: each message behind a 2-byte length); nil when
    /// the timeout passes first. One reply is read; a reply to another question is an error
    /// here, since nothing else can arrive on our own connection.
    static func tcp(_ query: [UInt8], to server: SocketAddress, timeout: Duration, decode: Decode) async throws -> DNSReply? {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(timeout.nanoseconds))
            .connect(to: server) { ch in
                ch.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch) }
            }
        let closer = closeAfter(timeout, channel.channel)
        defer { closer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var framed = ByteBuffer()
            framed.writeInteger(UInt16(query.count))
            framed.writeBytes(query)
            try await outbound.write(framed)
            var got = ByteBuffer()
            for try await chunk in inbound {
                var chunk = chunk
                got.writeBuffer(&chunk)
                guard let length = got.getInteger(at: got.readerIndex, as: UInt16.self),
                      got.readableBytes >= 2 + Int(length) else { continue }
                let message = got.getBytes(at: got.readerIndex + 2, length: Int(length)) ?? []
                guard let reply = try decode(message) else { throw DNSError.mismatch("TCP reply to another question") }
                return reply
            }
            return nil
        }
    }

    /// Closing the channel ends its inbound stream, which is how a wait times out.
    static func closeAfter(_ timeout: Duration, _ channel: any Channel) -> Scheduled<Void> {
        channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { channel.close(promise: nil) }
    }
}
