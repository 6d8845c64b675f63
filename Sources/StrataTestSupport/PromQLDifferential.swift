import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small deterministic random generator (SplitMix64) for reproducible test data.
public struct SplitMix: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Data, queries and comparison shared by the differential tests against a real Prometheus
/// 2.42 (the engine alone in StrataPromQLTests, the whole querier in StrataQueryTests).
public enum PromQLDifferential {
    public static let base: Int64 = 1_700_000_000

    /// The queries, one per line: every function, operator, modifier and the error texts of
    /// common mistakes.
    /// Queries in 2.42 syntax that exercise every part of the grammar: the parser fuzz
    /// tests start from them, and format_query is compared with Prometheus's on them.
    public static let seeds242 = [
        "sum by (job) (rate(http_requests[5m]))", "topk(2, http_requests) or bottomk(1, http_requests)",
        "histogram_quantile(0.9, rate(req_bucket[5m]))", "label_replace(http_requests, \"x\", \"$1\", \"job\", \"(.*)\")",
        "http_requests / on(job) group_left sum by (job) (http_requests)", "max_over_time(http_requests[10m:1m] offset 1m)",
        "count_values(\"v\", http_requests)", "quantile(0.5, http_requests) > bool 2", "absent(nope{a=\"b\"})",
        "-http_requests ^ 2 % 3", "holt_winters(http_requests[10m], 0.5, 0.5)", "predict_linear(http_requests[5m] @ 300, 60)",
        "time() - timestamp(http_requests)", "clamp(http_requests, 1, 5) unless http_requests{job=\"a\"}",
        "sort_desc(stddev by (job) (http_requests))", "year(vector(1e9))", "scalar(sum(http_requests)) * 2",
    ]

    public static let queries: [String] = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }

    /// Counters with gaps and resets, gauges, classic histograms, short-lived series.
    public static func openMetrics() -> String {
        var rng = SplitMix(state: 7)
        func rand(_ n: UInt64) -> UInt64 { rng.next() % n }
        var lines: [(Int64, String)] = []
        for job in ["api", "db", "web"] {
            for inst in ["0", "1"] {
                var c = 0.0
                for i in 0..<240 {
                    let t = base + Int64(i) * 15
                    if rand(20) == 0 { continue }
                    c += Double(rand(21))
                    if rand(50) == 0 { c = Double(rand(6)) }
                    let temp = 20 + 10 * sin(Double(i) / 10) + Double(rand(1000)) / 1000
                    lines.append((t, "http_requests_total{instance=\"\(inst)\",job=\"\(job)\"} \(c) \(t)"))
                    lines.append((t, "temperature{instance=\"\(inst)\",job=\"\(job)\"} \(temp) \(t)"))
                }
                for (k, le) in ["0.1", "0.5", "1", "5", "+Inf"].enumerated() {
                    var n = 0.0
                    for i in 0..<240 {
                        let t = base + Int64(i) * 15
                        n += Double(rand(4) * UInt64(k + 1))
                        lines.append((t, "req_duration_seconds_bucket{instance=\"\(inst)\",job=\"\(job)\",le=\"\(le)\"} \(n) \(t)"))
                    }
                }
            }
        }
        for i in 0..<60 { lines.append((base + Int64(i) * 15, "short_lived{job=\"batch\"} \(i) \(base + Int64(i) * 15)")) }
        for i in 180..<240 { lines.append((base + Int64(i) * 15, "late{job=\"batch\"} \(100 - i) \(base + Int64(i) * 15)")) }
        lines.sort { $0.0 < $1.0 }
        return lines.map(\.1).joined(separator: "\n") + "\n# EOF\n"
    }

    /// GET `url` and return the body whatever the status (API errors come with 4xx/5xx).
    public static func get(_ url: String) async throws -> String {
        guard let u = URL(string: url) else { throw URLError(.badURL) }
        let (data, _) = try await URLSession.shared.data(from: u)
        return String(decoding: data, as: UTF8.self)
    }

    public static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// Canonical form of an API response: results sorted unless order is meaningful.
    public static func canonical(_ json: String, ordered: Bool) -> String {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return json }
        guard obj["status"] as? String == "success", let data = obj["data"] as? [String: Any] else {
            return "error: \(obj["error"] ?? "?")"
        }
        let type = data["resultType"] as? String ?? "?"
        guard var result = data["result"] as? [Any] else { return json }
        func key(_ x: Any) -> String {
            let d = try? JSONSerialization.data(withJSONObject: x, options: [.sortedKeys])
            return d.map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        if (type == "vector" || type == "matrix") && !ordered {
            result.sort { key(($0 as? [String: Any])?["metric"] ?? [:]) < key(($1 as? [String: Any])?["metric"] ?? [:]) }
        }
        return type + ":" + key(result)
    }

    static let text = #"""
http_requests_total
http_requests_total offset 5m
http_requests_total offset -5m
http_requests_total @ 1700001000
http_requests_total @ start()
rate(http_requests_total[5m])
rate(http_requests_total[1m])
irate(http_requests_total[5m])
increase(http_requests_total[10m])
delta(temperature[10m])
idelta(temperature[5m])
deriv(temperature[10m])
predict_linear(temperature[10m], 600)
holt_winters(temperature[10m], 0.3, 0.6)
changes(temperature[10m])
resets(http_requests_total[30m])
sum(rate(http_requests_total[5m])) by (job)
sum without (instance) (rate(http_requests_total[5m]))
avg by (job) (temperature)
max(temperature)
min by (instance) (temperature)
count(temperature)
group by (job) (temperature)
stddev by (job) (temperature)
stdvar(temperature)
topk(2, temperature)
bottomk(2, temperature) by (job)
quantile(0.75, temperature)
quantile by (job) (0.1, temperature)
count_values("value", round(temperature))
histogram_quantile(0.9, rate(req_duration_seconds_bucket[5m]))
histogram_quantile(0.5, sum by (le) (rate(req_duration_seconds_bucket[5m])))
histogram_quantile(0.99, sum by (le, job) (rate(req_duration_seconds_bucket[10m])))
avg_over_time(temperature[10m])
min_over_time(temperature[10m])
max_over_time(temperature[10m])
sum_over_time(temperature[10m])
count_over_time(temperature[10m])
quantile_over_time(0.9, temperature[10m])
stddev_over_time(temperature[10m])
stdvar_over_time(temperature[10m])
last_over_time(temperature[10m])
present_over_time(short_lived[5m])
absent_over_time(short_lived[5m])
absent(short_lived)
absent(nonexistent{job="x"})
absent_over_time(nonexistent{job="x", a=~"b"}[5m])
abs(delta(temperature[10m]))
ceil(temperature)
floor(temperature)
round(temperature, 0.5)
sqrt(temperature)
exp(temperature / 10)
ln(temperature)
log2(temperature)
log10(temperature)
clamp(temperature, 22, 28)
clamp_min(temperature, 25)
clamp_max(temperature, 25)
sgn(delta(temperature[5m]))
sin(temperature)
atan2(temperature, 3)
temperature atan2 on(job, instance) temperature
deg(temperature)
rad(temperature)
sort(temperature)
sort_desc(temperature)
timestamp(temperature)
timestamp(temperature @ 1700001000)
time()
vector(time())
scalar(sum(temperature))
scalar(temperature)
hour()
minute(vector(1700001234))
day_of_week()
day_of_month()
day_of_year(vector(1700001234))
days_in_month()
month()
year()
label_replace(temperature, "j", "$1-x", "job", "(a.*)")
label_replace(temperature, "job", "", "job", "api")
label_join(temperature, "ji", "/", "job", "instance")
temperature > 25
temperature > bool 25
25 < temperature
temperature == on(job, instance) temperature
temperature + on(job) group_left sum by (job) (temperature)
sum by (job) (temperature) / on(job) group_right temperature
temperature and temperature > 25
temperature or late
temperature unless temperature > 25
http_requests_total / ignoring(instance) group_left sum without (instance) (http_requests_total)
-temperature
+temperature
1 + 2 * 3 ^ 2 ^ 0.5
2 ^ -1
temperature % 7
temperature ^ 2
max_over_time(rate(http_requests_total[2m])[10m:1m])
avg_over_time(temperature[10m:])
rate(http_requests_total[5m:30s])
sum_over_time(temperature[5m:1m] offset 2m)
max_over_time(temperature[5m:1m] @ 1700002000)
min_over_time((temperature > 25)[10m:2m])
late
short_lived
count(late) or vector(0)
sum(late) + sum(short_lived)
predict_linear(temperature[10m] @ 1700001000, 60)
count_values("job", temperature)
topk(1, temperature) by (job)
quantile(2, temperature)
topk(scalar(count(late)), temperature)
temperature * on() group_left temperature
temperature + ignoring(instance) temperature
sum(temperature) by (job) + on(job) temperature
label_replace(temperature, "dst", "$1", "job", "(.*")
label_replace(temperature, "1dst", "$1", "job", "(.*)")
label_replace(temperature, "dst", "${1}_$2_$name", "job", "(?P<name>a)(p)i")
label_replace(temperature, "dst", "$1x", "job", "(a)(p)i")
label_join(temperature, "job", "", "nothere")
holt_winters(temperature[10m], 1, 0.5)
topk(NaN, temperature)
count_values("1bad", temperature)
"hello"
1
-Inf
NaN
time() > bool 1700001000
vector(1) and on() vector(2)
rate(temperature[5m] @ end())
temperature @ end() offset 1m
timestamp(temperature offset 5m)
timestamp(temperature @ 1700002000 offset 5m)
sum by (le) (req_duration_seconds_bucket) / ignoring(le) group_left sum(req_duration_seconds_bucket)
temperature / 0
-temperature / 0
0 / 0 * temperature
sort_desc(temperature / 0 - temperature)
sort(vector(NaN) or temperature)
topk(3, vector(NaN) or temperature)
bottomk(3, vector(NaN) or temperature)
max(vector(NaN) or temperature)
min(temperature or vector(NaN))
avg(vector(Inf) or temperature)
stddev(vector(Inf) or temperature)
quantile(0.5, vector(NaN) or temperature)
histogram_quantile(0.5, req_duration_seconds_bucket{le!="+Inf"})
histogram_quantile(0.5, label_replace(req_duration_seconds_bucket, "le", "x", "le", "0.1"))
round(temperature * -1)
round(-2.5 + temperature * 0)
exp(9999 + temperature)
ln(-temperature)
acos(temperature)
asinh(temperature)
cosh(temperature)
tanh(temperature)
atanh(temperature / 100)
acosh(temperature)
asin(temperature / 100)
tan(temperature)
cos(temperature)
sinh(temperature / 10)
pi()
scalar(vector(pi()))
absent(temperature{job="api"})
absent(sum(nonexistent))
absent(nonexistent{job="a", job="b"})
absent(nonexistent{job=~"a"})
changes(http_requests_total[1h])
resets(temperature[1h])
rate(late[10m])
increase(short_lived[10m])
delta(late[3m])
irate(late[1m])
idelta(late[30s])
deriv(late[30s])
count_over_time(late[10m:])
last_over_time(late[1h:5m])
absent_over_time(late[1m])
absent_over_time(late[1h:5m])
present_over_time(late[10m])
max_over_time(deriv(temperature[5m])[30m:5m])
temperature[5m:1m] @ 1700001000
sum(temperature @ 1700001000) - sum(temperature)
day_of_week(temperature)
hour(temperature * 1000000)
days_in_month(vector(1709251200))
month(vector(-1))
year(vector(-86400 * 400))
acos(temperature / 100)
atan(temperature)
cosh(temperature / 10)
tanh(temperature / 30)
exp(temperature / 7)
exp(-temperature)
temperature ^ 1.7
temperature ^ 7
temperature ^ -3
temperature ^ 0.5
(-temperature) ^ 3
temperature atan2 7
sin(temperature * 1e10)
cos(http_requests_total * 123456789)
tan(http_requests_total * 1e12)
exp(http_requests_total / 1000)
ln(http_requests_total)
log2(http_requests_total)
log10(http_requests_total)
sinh(http_requests_total / 500)
cosh(http_requests_total / 300)
atan(http_requests_total)
http_requests_total ^ 1.3
http_requests_total ^ 11
deg(atan2(temperature, http_requests_total))
log2(vector(8))
log2(vector(0.125))
log10(vector(1000))
exp(vector(1))
exp(vector(-745))
exp(vector(-720))
exp(vector(709.5))
ln(vector(5e-324))
rate(x)
foo +
1 > 2
x and 1
sum(x)[5m]
x offset 1m offset 2m
x @ 1 @ 2
clamp(x, 1)
topk(x)
x[5]
a + on(b) group_left(b) c
foo{
foo}
sum by (offset) (x)
sum by (x
(x
x)
x[5m
foo bar
foo 5
foo "bar"
foo 1234567890123
1 +
-x[5m]
x[5m] offset 1m [5m]
(x)[5m]
x[5m:1m:1m]
sum(x, y)
topk(1)
count_values(1, x)
topk("a", x)
quantile(x, x)
label_replace(x, 1, "a", "b", "c")
abs(x, y)
round()
label_join(x)
time(1)
x{a=~"("}
x{a="b"} offset
x @
x @ foo
nonexistent_function(x)
{a=""}
x{__name__="y"}
1 == bool 2 == 3
x == bool on() group_left y
x + bool y
"a" + 1
x[5m] + 1
-"a"
x @ start() offset 1m @ end()
sum without(a) (x) by (b)
histogram_quantile(0.5)
x[1m:]offset 1m
x{a!~"b"}[1m:1m]
1[1m:]
day_of_year(vector(NaN))
day_of_month(vector(NaN))
month(vector(Inf))
year(vector(-Inf))
day_of_week(vector(NaN))
hour(vector(NaN))
minute(vector(1e19))
days_in_month(vector(NaN))
year(vector(-62135596800))
day_of_year(vector(-1))
day_of_week(vector(-86400 * 3))
days_in_month(vector(951782400))
year(vector(253402300800))
hour(vector(-3601))
"""#
}
