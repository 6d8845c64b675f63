import Hummingbird
import HTTPTypes
import HummingbirdCore
import NIOCore
import StrataCore

/// gzip for every answer of 1,400 bytes or more whose client asks for it (`Accept-Encoding:
/// gzip`), as Prometheus, the Thanos querier (NYTimes gziphandler, same threshold) and
/// VictoriaMetrics answer: Grafana and browsers ask, and a day of a dashboard's JSON shrinks
/// 6–10× on its way to them. Answers already encoded (a snappy remote-read body) and streamed
/// ones of unknown length pass as they are; everything else is collected (it is in memory
/// already) and compressed on all cores (`Gzip`), a large answer streamed a round of pieces
/// at a time.
struct CompressionMiddleware<Context: RequestContext>: RouterMiddleware {
    static var minSize: Int { 1400 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard request.method != .head, (response.body.contentLength ?? 0) >= Self.minSize,
              response.headers[.contentEncoding] == nil else { return response }
        response.headers[.vary] = "Accept-Encoding"
        guard Gzip.isAccepted(by: request.headers[.acceptEncoding]) else { return response }
        let collected = Collected()
        try await response.body.write(CollectingWriter(into: collected))
        response.headers[.contentEncoding] = "gzip"
        response.headers[.contentLength] = nil
        var rounds = Gzip.Rounds(collected.buffers, piecesPerRound: activeCores)
        // One round (an answer of up to a piece a core) in one buffer, with its length;
        // more streamed as the rounds are compressed (chunked): the client unpacks one round
        // while the next is compressed.
        let first = rounds.next() ?? []
        if rounds.isDone {
            response.body = .init(byteBuffer: ByteBuffer(bytes: first))
            return response
        }
        response.body = ResponseBody { [rounds] writer in
            var rounds = rounds
            try await writer.write(ByteBuffer(bytes: first))
            while let bytes = rounds.next() { try await writer.write(ByteBuffer(bytes: bytes)) }
            try await writer.finish(nil)
        }
        return response
    }
}

/// The bytes of a body as its writer hands them over (a class: `ResponseBody.write` consumes
/// the writer it is given).
final class Collected {
    var buffers: [ByteBuffer] = []
}

struct CollectingWriter: ResponseBodyWriter {
    let into: Collected

    mutating func write(_ buffer: ByteBuffer) async throws { into.buffers.append(buffer) }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
