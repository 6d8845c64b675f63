import Foundation
import StrataObjStore

/// moto with one bucket, behind a `FaultProxy` that follows a `FaultPlan`: the object store
/// of the chaos tests. Services get `objstoreFlag` (through the proxy, faults and all); the
/// test's own checks read straight from moto through `direct`, so they never see a fault.
public final class ChaosS3: Sendable {
    public let moto: CacheServer
    public let proxy: FaultProxy
    public let plan: FaultPlan
    public let bucketName: String
    /// A client straight to moto (no faults): the checks' view of the bucket.
    public let direct: S3Bucket

    private init(moto: CacheServer, proxy: FaultProxy, plan: FaultPlan, bucketName: String, direct: S3Bucket) {
        self.moto = moto
        self.proxy = proxy
        self.plan = plan
        self.bucketName = bucketName
        self.direct = direct
    }

    /// nil when moto is missing on a developer machine; under CI=true a missing moto throws.
    public static func start(bucket: String = "chaos", plan: FaultPlan) async throws -> ChaosS3? {
        guard let moto = try await CacheServer.start("moto_server", hint: "pip install 'moto[server]'",
                                                     args: { ["-H", "127.0.0.1", "-p", "\($0)"] }) else { return nil }
        do {
            let made = try TestEnv.run("/usr/bin/env", ["python3", "-c", """
                import boto3; boto3.client("s3", endpoint_url="http://127.0.0.1:\(moto.port)", aws_access_key_id="k",
                aws_secret_access_key="s", region_name="us-east-1").create_bucket(Bucket="\(bucket)")
                """], timeout: 60)
            guard made.status == 0 else { throw MissingComponent(description: "cannot create the moto bucket (boto3): \(made.stderr)") }
            let proxy = try await FaultProxy.start(upstream: "127.0.0.1:\(moto.port)") { n, head in plan.fault(n, head) }
            let direct = try S3Bucket(config: config(bucket: bucket, port: moto.port),
                                      retry: RetryPolicy(maxAttempts: 5, initialBackoffMs: 20, maxBackoffMs: 200))
            return ChaosS3(moto: moto, proxy: proxy, plan: plan, bucketName: bucket, direct: direct)
        } catch {
            moto.stop()
            throw error
        }
    }

    static func config(bucket: String, port: Int) -> S3Config {
        var c = S3Config(bucket: bucket, endpoint: "127.0.0.1:\(port)")
        c.accessKey = "k"
        c.secretKey = "s"
        c.insecure = true
        c.lookupType = .path
        return c
    }

    /// The YAML services get: the bucket through the fault proxy.
    public var objstoreYAML: String {
        "type: S3\nconfig: {bucket: \(bucketName), endpoint: \"127.0.0.1:\(proxy.port)\", insecure: true, bucket_lookup_type: path, access_key: k, secret_key: s}"
    }

    public var objstoreFlag: String { "--objstore.config=" + objstoreYAML }

    public func stop() async {
        try? await direct.close()
        await proxy.stop()
        moto.stop()
    }
}
