import Foundation
import StrataTestSupport
import Testing
@testable import StrataObjStore

/// `strata bucket` against S3 (moto), run as a user runs it: inline objstore YAML, real
/// Prometheus blocks uploaded, inspected, verified in full and downloaded back.
@Suite("strata bucket on S3")
struct S3BlockToolsTests {
    @Test(.enabled(if: MotoServer.enabled, "moto_server not installed"), .timeLimit(.minutes(2)))
    func blocksThroughS3() async throws {
        try await withMoto { moto in
            let setup = try await moto.makeBucket("blocks")
            try await setup.close()
            let tmp = try TestSupport.tempDirectory("s3tools")
            defer { TestSupport.removeDirectory(tmp) }
            let yaml = """
            type: S3
            config: {bucket: blocks, endpoint: "127.0.0.1:\(moto.port)", insecure: true, bucket_lookup_type: path,
                     access_key: AKID, secret_key: not-a-real-secret}
            prefix: tenant-a
            """
            let cfg = "--objstore.config=" + yaml
            let strata = TestEnv.strataBinary
            let blocks = Array(try TestEnv.promBlocks().prefix(2))
            let ids = blocks.map { String($0.split(separator: "/").last!) }

            var r = try TestEnv.run(strata, ["bucket", "upload", cfg, "--label", "cluster=c1"] + blocks)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(!r.stderr.contains("not-a-real-secret"))

            r = try TestEnv.run(strata, ["bucket", "inspect", cfg])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(ids.allSatisfy { r.stdout.contains($0) })

            r = try TestEnv.run(strata, ["bucket", "verify", cfg, "--full"])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")

            r = try TestEnv.run(strata, ["bucket", "download", cfg, ids[0], tmp + "/dl"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(FileManager.default.contents(atPath: tmp + "/dl/\(ids[0])/index")
                    == FileManager.default.contents(atPath: blocks[0] + "/index"))

            // The prefix is honoured: the objects live under tenant-a/ in the bucket.
            let raw = try await moto.makeBucket("blocks")
            let top = try await raw.list()
            try await raw.close()
            #expect(top == ["tenant-a/"])

            r = try TestEnv.run(strata, ["bucket", "ls", cfg, "-o", "json"])
            #expect(r.status == 0 && ids.allSatisfy { r.stdout.contains("\"\($0)/\"") }, "\(r.stdout)\(r.stderr)")
        }
    }
}
