import Foundation
import Logging
import StrataDiscovery
import StrataQuery
import StrataStore
import StrataTestSupport
import Testing

/// The endpoint set expands DNS addresses from both sources — `--endpoint` and file SD
/// targets — and follows the answers as they change.
@Suite(.serialized) struct EndpointSetDNSTests {
    @Test func staticAndFileSDAddressesAreExpanded() async throws {
        guard let dns = try await DNSServer.start(config: ["srv-host=_grpc._tcp.store.test,one.store.test,10901"],
                                                  hosts: [("127.0.0.1", "one.store.test")]) else { return }
        defer { dns.stop() }
        let file = TestEnv.tempDir("dns-sd") + "/targets.yml"
        try "- targets: ['dnssrv+_grpc._tcp.store.test', 'dns+one.store.test:9', '10.1.1.1:1', 'dns+nope.test:9']\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let provider = DNSProvider(client: try DNSClient(nameserver: dns.nameserver), logger: Logger(label: "t"))
        let set = EndpointSet(addresses: ["dns+one.store.test:7"], sdFiles: [file], infoTimeout: .milliseconds(500), dns: provider,
                              logger: Logger(label: "t")) { _, _ in LocalBlockStore(blocks: []) }
        await set.refresh()
        #expect(await set.all().map(\.name) == ["10.1.1.1:1", "127.0.0.1:10901", "127.0.0.1:7", "127.0.0.1:9"])
        try dns.setHosts([("127.0.0.2", "one.store.test")])
        let moved = await waitForAsync(10) {
            await set.refresh()
            return await set.all().map(\.name) == ["10.1.1.1:1", "127.0.0.2:10901", "127.0.0.2:7", "127.0.0.2:9"]
        }
        let names = await set.all().map(\.name)
        #expect(moved, "\(names)")
        await set.close()
    }
}
