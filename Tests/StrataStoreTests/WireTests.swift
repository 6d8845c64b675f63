import Foundation
import GRPCCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import StrataCore
import StrataObjStore
import StrataSecurity
import StrataStore
@testable import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import SwiftProtobuf
import Synchronization
import Testing

/// Strata's wire between its own components: Series calls answered over it equal the gRPC
/// answers of the same server (blocks written by Prometheus's promtool); errors keep their
/// gRPC codes; a call abandoned half-way leaves the connection pool usable; an unreachable
/// or closed wire port sends calls back to gRPC; with TLS the wire checks certificates as
/// the gRPC port does.
@Suite(.serialized) struct WireTests {
    static let logger = Logger(label: "wire-test")

    struct Served {
        let server: GRPCStoreServer
        let port: Int
        let task: Task<Void, Error>
        func stop() { server.shutdown(); task.cancel() }
    }

    static func serve(wire: WireListen = .auto, tls: ServerTLS? = nil) async throws -> Served {
        let store = LocalBlockStore(name: "blocks", blocks: try TestEnv.promBlocks().map { try BlockReader(dir: $0) })
        let server = GRPCStoreServer(store: store, host: "127.0.0.1", port: 0, tls: tls, wire: wire)
        let task = Task { try await server.serve() }
        return Served(server: server, port: try await server.boundPort(), task: task)
    }

    /// A client that has read the endpoint's Info and waited until its wire is ready.
    static func wireClient(_ s: Served, tls: ClientTLSConfig? = nil) async throws -> GRPCStoreClient {
        let c = try GRPCStoreClient(target: "127.0.0.1:\(s.port)", timeout: .seconds(20), tls: tls)
        _ = try await c.info()
        for _ in 0..<200 where !(c.wire.withLock { $0 }?.ready ?? false) { try await Task.sleep(for: .milliseconds(10)) }
        return c
    }

    static func served(_ s: Served) -> Int { s.server.wire?.calls.served.load(ordering: .relaxed) ?? 0 }

    static func collect(_ c: GRPCStoreClient, _ selector: String, batch: Int64 = 0) async throws -> [Thanos_Series] {
        var r = try StoreAPITests.request(selector)
        r.responseBatchSize = batch
        return try await StoreAPITests.collect(c, r)
    }

    @Test(.timeLimit(.minutes(2))) func seriesOverTheWireEqualGRPC() async throws {
        let s = try await Self.serve()
        defer { s.stop() }
        let wire = try await Self.wireClient(s)
        let grpc = try GRPCStoreClient(target: "127.0.0.1:\(s.port)", timeout: .seconds(20), wire: false)
        defer { wire.close(); grpc.close() }
        #expect(wire.wire.withLock { $0 }?.ready == true, "the wire did not become ready")
        _ = try await grpc.info()
        #expect(grpc.wire.withLock { $0 } == nil, "--endpoint.wire=false still set up the wire")

        let before = Self.served(s)
        var calls = 0
        for sel in [#"{job="api"}"#, #"{__name__=~"rpc_duration_seconds_.*",le!="+Inf"}"#, #"{__name__=~".+"}"#, #"{job="none"}"#] {
            for batch: Int64 in [0, 7] {
                let a = try await Self.collect(wire, sel, batch: batch)
                let b = try await Self.collect(grpc, sel, batch: batch)
                calls += 1
                #expect(a == b, "\(sel) batch \(batch): wire \(a.count) series, gRPC \(b.count)")
                if sel != #"{job="none"}"# { #expect(!a.isEmpty) }
            }
        }
        #expect(Self.served(s) - before == calls, "calls that did not take the wire")
        // Concurrent calls each take their own connection.
        let all = try await Self.collect(grpc, #"{__name__=~".+"}"#)
        try await withThrowingTaskGroup(of: [Thanos_Series].self) { g in
            for _ in 0..<8 { g.addTask { try await Self.collect(wire, #"{__name__=~".+"}"#) } }
            for try await got in g { #expect(got == all) }
        }
        // Pooled connections probe their peer when idle (TCP keepalive as Wire.keepalive says).
        let idle = try #require(wire.wire.withLock { $0 }?.idleChannels.first)
        #expect(try await idle.getOption(.socketOption(.so_keepalive)) == 1)
        #expect(try await idle.getOption(Wire.tcpOption(TCP_KEEPIDLE)) == Wire.keepalive.idle)
        #expect(try await idle.getOption(Wire.tcpOption(TCP_KEEPCNT)) == Wire.keepalive.count)
    }

    /// A store gateway answers Series calls on the wire straight from the bytes it fetched
    /// (raw XOR chunks never built into messages) and the querier reads them as slices of the
    /// frames: the same series, chunks and bytes as its gRPC answers (messages both ways), for
    /// raw chunks, native histograms (as messages in the same batches), batch sizes and
    /// selectors matching nothing.
    @Test(.timeLimit(.minutes(2))) func gatewaySeriesOverTheWireEqualGRPC() async throws {
        let dir = TestEnv.tempDir("wire-gateway")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/bucket", withIntermediateDirectories: true)
        for b in try TestEnv.promBlocks() + [NativeHistogramData.blockDir] {
            try FileManager.default.copyItem(atPath: b, toPath: dir + "/bucket/" + URL(fileURLWithPath: b).lastPathComponent)
        }
        let gateway = BucketStore(name: "gateway", bucket: try FilesystemBucket(directory: dir + "/bucket"),
                                  config: BucketStore.Config(dataDir: dir + "/data"), logger: Self.logger)
        _ = try await gateway.sync()
        let server = GRPCStoreServer(store: gateway, host: "127.0.0.1", port: 0, tls: nil, wire: .auto)
        let task = Task { try await server.serve() }
        let s = Served(server: server, port: try await server.boundPort(), task: task)
        defer { s.stop() }
        let wire = try await Self.wireClient(s)
        let grpc = try GRPCStoreClient(target: "127.0.0.1:\(s.port)", timeout: .seconds(20), wire: false)
        defer { wire.close(); grpc.close() }
        let before = Self.served(s)
        var calls = 0
        for sel in [#"{job="api"}"#, #"{__name__=~"nh_.+"}"#, #"{__name__=~".+"}"#, #"{job="none"}"#] {
            for batch: Int64 in [0, 7, 64] {
                let a = try await Self.collect(wire, sel, batch: batch)
                let b = try await Self.collect(grpc, sel, batch: batch)
                calls += 1
                #expect(a == b, "\(sel) batch \(batch): wire \(a.count) series, gRPC \(b.count)")
                if sel != #"{job="none"}"# { #expect(!a.isEmpty, "\(sel)") }
            }
        }
        #expect(Self.served(s) - before == calls, "calls that did not take the wire")
        // Raw XOR series reach the querier as slices of their frames.
        let slices = Mutex(0)
        var req = try StoreAPITests.request(#"{job="api"}"#)
        req.responseBatchSize = 64
        try await wire.seriesAnswers(req) { answer in
            if case .series(let s) = answer, case .xor(let chunks) = s.chunks, !chunks.isEmpty { slices.withLock { $0 += 1 } }
        }
        #expect(slices.withLock { $0 } > 0)
    }

    /// A call made on an event loop takes a connection served by that loop (its answer is read
    /// where the call resumes), one per loop however many calls; a call running on a loop
    /// (as the server runs each wire call) sends parallel work to the cores, off the loop.
    @Test(.timeLimit(.minutes(2))) func callsKeepToTheirEventLoop() async throws {
        let s = try await Self.serve()
        defer { s.stop() }
        let c = try await Self.wireClient(s)
        defer { c.close() }
        let wire = try #require(c.wire.withLock { $0 })
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        let before = Self.served(s)
        for round in 0..<3 {
            for loop in loops {
                let (onLoop, childOnLoop, got) = try await Task(executorPreference: EventLoopExecutor(loop)) {
                    let child = await Task(executorPreference: globalConcurrentExecutor) { loop.inEventLoop }.value
                    // Under a query's deadline, as the querier calls (no timeout task of its own).
                    let got = try await TaskDeadline.$current.withValue(.now.advanced(by: .seconds(10))) {
                        try await Self.collect(c, #"{job="api"}"#)
                    }
                    return (loop.inEventLoop, child, got)
                }.value
                #expect(onLoop && !childOnLoop && !got.isEmpty, "round \(round)")
            }
        }
        #expect(Self.served(s) - before == 3 * loops.count, "calls that did not take the wire")
        let idle = wire.idleChannels
        #expect(idle.count == loops.count, "\(idle.count) idle connections for \(loops.count) loops")
        for loop in loops { #expect(idle.contains { $0.eventLoop === loop }, "no connection on a loop that called") }
    }

    @Test(.timeLimit(.minutes(2))) func errorsKeepTheirCodeAndAbandonedCallsLeaveThePoolUsable() async throws {
        let s = try await Self.serve()
        defer { s.stop() }
        let c = try await Self.wireClient(s)
        defer { c.close() }
        let before = Self.served(s)
        do {
            try await c.series(StoreAPITests.invalidRegexRequest()) { _ in }
            Issue.record("an invalid regex was answered")
        } catch let e as RPCError {
            #expect(e.code == .invalidArgument, "\(e)")
            // Counted as the user's error, under the name Thanos's grpc_code uses.
            #expect(WireCalls.goCodeNames[Status.Code(e.code).rawValue] == "InvalidArgument")
        }
        #expect(WireCalls.goCodeNames[Status.Code.internalError.rawValue] == "Internal")
        #expect(WireCalls.goCodeNames.count == 17)
        // The caller stops reading after the first series: the call ends with its error and
        // the next call gets a full answer.
        struct Enough: Error {}
        await #expect(throws: Enough.self) {
            try await c.series(try StoreAPITests.request(#"{__name__=~".+"}"#)) { _ in throw Enough() }
        }
        let all = try await Self.collect(c, #"{__name__=~".+"}"#)
        #expect(all.count > 10)
        #expect(Self.served(s) - before == 3)
    }

    @Test(.timeLimit(.minutes(2))) func aSlowCallerHoldsTheEndpointBackAndGetsEverything() async throws {
        let s = try await Self.serve()
        defer { s.stop() }
        let grpc = try GRPCStoreClient(target: "127.0.0.1:\(s.port)", timeout: .seconds(20), wire: false)
        defer { grpc.close() }
        let want = try await Self.collect(grpc, #"{__name__=~".+"}"#)
        // Reading pauses once 2 frames wait: the answer arrives in full, in order, while the
        // caller takes 1 ms per series.
        let w = WireClient(host: "127.0.0.1", port: try #require(s.server.boundWirePort()), tls: nil, serverName: nil,
                           highWater: .init(frames: 2, bytes: 1 << 20))
        defer { w.close() }
        let got = SeriesBox()
        try await w.call(.series, try StoreAPITests.request(#"{__name__=~".+"}"#)) { payload in
            let m = try SeriesFrameDeserializer().deserialize(WireBytes(payload))
            if case .series(let one)? = m.result { got.append(one) }
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(got.all == want)
        #expect(w.idleConnectionPaused, "reading never paused")
    }

    @Test(.timeLimit(.minutes(2))) func unreachableOrClosedWireFallsBackToGRPC() async throws {
        // Wire off: nothing advertised, the client stays on gRPC.
        let off = try await Self.serve(wire: .off)
        defer { off.stop() }
        let c0 = try await Self.wireClient(off)
        defer { c0.close() }
        #expect(c0.wire.withLock { $0 } == nil)
        #expect(try await Self.collect(c0, #"{job="api"}"#).count > 0)

        let s = try await Self.serve()
        defer { s.stop() }
        let grpc = try GRPCStoreClient(target: "127.0.0.1:\(s.port)", timeout: .seconds(20), wire: false)
        defer { grpc.close() }
        let want = try await Self.collect(grpc, #"{__name__=~".+"}"#)

        // An advertised port nobody listens on: the warm-up fails, calls stay on gRPC.
        let c1 = try GRPCStoreClient(target: "127.0.0.1:\(s.port)", timeout: .seconds(20))
        defer { c1.close() }
        var info = try await c1.info()
        info.unknownFields = UnknownStorage()
        Wire.advertise(port: try freePort(), in: &info)
        c1.adoptWire(from: info)
        try await Task.sleep(for: .milliseconds(300))
        #expect(c1.wire.withLock { $0 }?.ready == false)
        #expect(try await Self.collect(c1, #"{__name__=~".+"}"#) == want)

        // A ready wire whose server side goes away: the pooled connection is dead and the
        // port closed, so the call is answered over gRPC and the wire waits for a probe.
        let c2 = try await Self.wireClient(s)
        defer { c2.close() }
        #expect(c2.wire.withLock { $0 }?.ready == true)
        s.server.wire?.close()
        try await Task.sleep(for: .milliseconds(100))
        let served = Self.served(s)
        #expect(try await Self.collect(c2, #"{__name__=~".+"}"#) == want)
        #expect(Self.served(s) == served)
        #expect(c2.wire.withLock { $0 }?.ready == false)
    }

    @Test(.timeLimit(.minutes(1))) func aTakenWirePortStopsTheServerWithAClearError() async throws {
        let first = try await Self.serve()
        defer { first.stop() }
        let taken = try #require(first.server.boundWirePort())
        let store = LocalBlockStore(name: "blocks", blocks: try TestEnv.promBlocks().map { try BlockReader(dir: $0) })
        let second = GRPCStoreServer(store: store, host: "127.0.0.1", port: 0, wire: .address(host: "127.0.0.1", port: taken))
        do {
            try await second.serve()
            Issue.record("served on a taken wire port")
        } catch {
            #expect("\(error)".contains("cannot listen on 127.0.0.1:\(taken)"), "\(error)")
        }
    }

    /// Bytes from a raw socket (Python): what the endpoint does with them — `closed` (it hung
    /// up), `data` (it answered), `open` (neither within 5 s).
    static func raw(_ port: Int, _ bytes: [UInt8]) throws -> String {
        let script = """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
            s.sendall(bytes.fromhex(sys.argv[2]))
            try:
                print("closed" if s.recv(100) == b"" else "data")
            except ConnectionResetError:
                print("closed")
            except socket.timeout:
                print("open")
            """
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let r = try TestEnv.run("/usr/bin/env", ["python3", "-c", script, "\(port)", hex], timeout: 20)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.timeLimit(.minutes(1))) func hostileBytesAreRefusedAndTheEndpointKeepsServing() async throws {
        let s = try await Self.serve()
        defer { s.stop() }
        let port = try #require(s.server.boundWirePort())
        // Not the wire at all (an HTTP request), a call frame claiming 2 GiB, a frame of an
        // unknown kind: the connection is closed, nothing is buffered.
        #expect(try Self.raw(port, Array("GET / HTTP/1.1\r\n\r\n".utf8)) == "closed")
        #expect(try Self.raw(port, Wire.preface + [0x7f, 0xff, 0xff, 0xff, 0x01]) == "closed")
        #expect(try Self.raw(port, Wire.preface + [0, 0, 0, 1, 0x09]) == "closed")
        // A well-formed call of an unknown method gets an error frame.
        #expect(try Self.raw(port, Wire.preface + [0, 0, 0, 2, Wire.Kind.call.rawValue, 0x09]) == "data")
        // Real calls are still answered.
        let c = try await Self.wireClient(s)
        defer { c.close() }
        let before = Self.served(s)
        #expect(try await Self.collect(c, #"{job="api"}"#).count > 0)
        #expect(Self.served(s) == before + 1)
    }

    @Test func wireAddressFlag() throws {
        #expect(try WireListen.parse("off") == .off)
        #expect(try WireListen.parse("auto") == .auto)
        #expect(try WireListen.parse("0.0.0.0:10903") == .address(host: "0.0.0.0", port: 10903))
        #expect(try WireListen.parse("[::1]:10903") == .address(host: "::1", port: 10903))
        for bad in ["10903", "host:", "host:70000", "on"] {
            #expect(throws: StoreError.self, "\(bad)") { try WireListen.parse(bad) }
        }
    }

    @Test(.timeLimit(.minutes(2))) func wireWithMutualTLS() async throws {
        guard let certs = try TestCertificates.make(tag: "wire-tls") else { return }
        let tls = try ServerTLS(ServerTLSConfig(certFile: certs.serverCert, keyFile: certs.serverKey, clientCAFile: certs.caCert,
                                                minVersion: .tlsv13), logger: Self.logger)
        let s = try await Self.serve(tls: tls)
        defer { s.stop() }
        let c = try await Self.wireClient(s, tls: certs.goodClient)
        defer { c.close() }
        #expect(c.wire.withLock { $0 }?.ready == true, "the wire did not come up over mTLS")
        let before = Self.served(s)
        #expect(try await Self.collect(c, #"{job="api"}"#).count > 0)
        #expect(Self.served(s) == before + 1)

        // The wire port refuses what the gRPC port refuses: no client certificate, an expired
        // one, another CA's, plaintext.
        let port = try #require(s.server.boundWirePort())
        for (name, t) in certs.refusedClients {
            let w = WireClient(host: "127.0.0.1", port: port, tls: try t.map { try NIOSSLContext(configuration: $0.tlsConfiguration()) },
                               serverName: nil)
            defer { w.close() }
            do {
                try await w.call(.series, try StoreAPITests.request(#"{job="api"}"#)) { _ in }
                Issue.record("\(name): the wire answered")
            } catch {}
        }
        #expect(Self.served(s) == before + 1)
    }
}
