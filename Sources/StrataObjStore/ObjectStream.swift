/// A lazily-read object body: an async sequence of byte chunks.
///
/// Reading is pulled by the consumer (one chunk at a time), so memory stays flat however
/// large the object is — the reason this is not an `AsyncThrowingStream`, whose producer
/// would run ahead of a slow consumer. Each `makeAsyncIterator()` starts a fresh read;
/// iterators are single-consumer.
public struct ObjectStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    private let open: @Sendable () -> any ChunkSource

    /// - Parameter open: makes the source of one read; called once per iterator.
    public init(_ open: @escaping @Sendable () -> any ChunkSource) {
        self.open = open
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: any ChunkSource
        public mutating func next() async throws -> [UInt8]? {
            try await source.nextChunk()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: open())
    }

    /// Reads the whole body into memory. For small objects (meta.json, markers, index headers).
    public func collect() async throws -> [UInt8] {
        var it = makeAsyncIterator()
        // Most ranged reads are one chunk: hand it over without copying.
        guard var out = try await it.next() else { return [] }
        while let chunk = try await it.next() { out.append(contentsOf: chunk) }
        return out
    }

    /// A stream over bytes already in memory (tests, in-memory wrappers).
    public static func bytes(_ bytes: [UInt8], chunkSize: Int = 1 << 20) -> ObjectStream {
        ObjectStream { MemoryChunkSource(bytes: bytes, chunkSize: chunkSize) }
    }
}

/// One read of an object, yielding chunks until `nil`. Implementations are used by a single
/// iterator at a time and release their resources when they return `nil`, throw, or deinit.
public protocol ChunkSource: AnyObject {
    func nextChunk() async throws -> [UInt8]?
}

final class MemoryChunkSource: ChunkSource {
    private let bytes: [UInt8]
    private let chunkSize: Int
    private var offset = 0

    init(bytes: [UInt8], chunkSize: Int) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    func nextChunk() async throws -> [UInt8]? {
        guard offset < bytes.count else { return nil }
        let end = min(bytes.count, offset + chunkSize)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}
