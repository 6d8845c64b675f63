import Foundation
import StrataCore
@testable import StrataReceive
import Testing

@Suite struct HashringTests {
    static func rings(_ json: String, algorithm: String = "hashmod") throws -> Hashrings {
        try Hashrings(HashringConfig.parse(Data(json.utf8)), algorithm: algorithm)
    }

    @Test func parsesThanosFormat() throws {
        let c = try HashringConfig.parse(Data("""
            [{"hashring": "a", "tenants": ["t1", "t-*"], "tenant_matcher_type": "glob",
              "endpoints": ["h3:1", {"address": "h1:1"}, {"address": "h2:1", "az": ""}]},
             {"endpoints": ["d:1"]}]
            """.utf8))
        #expect(c.count == 2)
        #expect(c[0].name == "a" && c[0].tenants == ["t1", "t-*"] && c[0].tenantMatcherType == "glob")
        #expect(c[0].endpoints.map(\.address) == ["h3:1", "h1:1", "h2:1"])
        #expect(c[1].tenants.isEmpty && c[1].tenantMatcherType == "exact")
    }

    @Test(arguments: [
        ("", "hashrings file is empty"),
        ("{", "not parsable"),
        ("{\"endpoints\": []}", "expected a JSON array"),
        ("[{\"endpoints\": []}]", "no endpoints"),
        ("[{\"endpoints\": [{\"az\": \"x\"}]}]", "endpoint address must be set"),
        ("[{\"endpoints\": [\"a:1\"], \"tenant_matcher_type\": \"regex\"}]", "exact or glob"),
        ("[{\"endpoints\": [\"a:1\"], \"colour\": 1}]", "unknown field \"colour\""),
    ])
    func refusesBadFiles(json: String, message: String) {
        #expect { try HashringConfig.parse(Data(json.utf8)) } throws: { "\($0)".contains(message) }
    }

    @Test func refusesWhatHashmodCannotDo() {
        #expect { try Self.rings("[{\"endpoints\": [\"a:1\"]}]", algorithm: "ketama") } throws: { "\($0)".contains("not supported") }
        #expect { try Self.rings("[{\"endpoints\": [{\"address\": \"a:1\", \"az\": \"z1\"}]}]") } throws: { "\($0)".contains("AZ") }
    }

    /// Thanos's `labelpb.HashWithPrefix`: xxhash64 over tenant, 0xff, then name 0xff value 0xff.
    @Test func hashIsThanosHashWithPrefix() {
        let labels = Labels(["__name__": "up", "job": "node"])
        var b: [UInt8] = Array("t1".utf8) + [0xff]
        for (n, v) in [("__name__", "up"), ("job", "node")] { b += Array(n.utf8) + [0xff] + Array(v.utf8) + [0xff] }
        #expect(Hashrings.hash(tenant: "t1", labels: labels) == XXHash64.hash(b))
    }

    @Test func replicasAreConsecutiveSortedEndpoints() throws {
        let r = try Self.rings("[{\"endpoints\": [\"c:1\", \"a:1\", \"b:1\"]}]")
        #expect(r.endpoints.map(\.address) == ["a:1", "b:1", "c:1"])
        var first: [String: Int] = [:]
        for i in 0..<3000 {
            let l = Labels(["__name__": "m", "i": String(i)])
            let o = try r.owners(tenant: "t", labels: l, replicas: 2)
            let sorted = ["a:1", "b:1", "c:1"]
            let k = sorted.firstIndex(of: o[0].address)!
            #expect(o[1].address == sorted[(k + 1) % 3])
            first[o[0].address, default: 0] += 1
            // Deterministic: the same series always goes to the same owners.
            #expect(try r.owners(tenant: "t", labels: l, replicas: 2) == o)
        }
        #expect(first.values.allSatisfy { (800...1200).contains($0) }, "spread: \(first)")
        #expect { try r.owners(tenant: "t", labels: Labels(["a": "b"]), replicas: 4) } throws: { "\($0)".contains("insufficient nodes") }
    }

    @Test func tenantsPickTheFirstMatchingRing() throws {
        let r = try Self.rings("""
            [{"hashring": "exact", "tenants": ["acme"], "endpoints": ["e:1"]},
             {"hashring": "glob", "tenants": ["team-*"], "tenant_matcher_type": "glob", "endpoints": ["g:1"]},
             {"hashring": "default", "endpoints": ["d:1"]}]
            """)
        let l = Labels(["__name__": "up"])
        #expect(try r.owners(tenant: "acme", labels: l, replicas: 1).map(\.address) == ["e:1"])
        #expect(try r.owners(tenant: "team-x", labels: l, replicas: 1).map(\.address) == ["g:1"])
        #expect(try r.owners(tenant: "team/x", labels: l, replicas: 1).map(\.address) == ["d:1"])
        #expect(try r.owners(tenant: "other", labels: l, replicas: 1).map(\.address) == ["d:1"])
        let noDefault = try Self.rings("[{\"tenants\": [\"acme\"], \"endpoints\": [\"e:1\"]}]")
        #expect { try noDefault.owners(tenant: "other", labels: l, replicas: 1) } throws: { "\($0)".contains("no matching hashring") }
    }
}
