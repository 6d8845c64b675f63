import Foundation
import StrataCore
@testable import StrataPromQL
import Testing

/// The printer and the prettifier against Prometheus's own expectations: the cases below are
/// the test tables of prometheus/prometheus promql/parser/printer_test.go (TestExprString)
/// and prettier_test.go (every TestXxxPretty table, which use a 10-character line limit),
/// Apache License 2.0, extracted unchanged from the v3.14.0 tag.
@Suite struct ExprPrinterTests {
    static func parse(_ q: String) throws -> Expr {
        try PromQL.parse(q, compat: .v3_14, features: .all)
    }

    /// Inputs Strata prints differently, and why (see docs/query.md).
    static let knownPrinterDifferences: Set<String> = [
    ]

    static let knownPrettierDifferences: Set<String> = [
    ]

    static let printerCases: [(String, String)] = [
        (#"sum by() (task:errors:rate10s{job="s"})"#, #"sum(task:errors:rate10s{job="s"})"#),
        (#"sum by(code) (task:errors:rate10s{job="s"})"#, #"sum by (code) (task:errors:rate10s{job="s"})"#),
        (#"sum without() (task:errors:rate10s{job="s"})"#, #"sum without () (task:errors:rate10s{job="s"})"#),
        (#"sum without(instance) (task:errors:rate10s{job="s"})"#, #"sum without (instance) (task:errors:rate10s{job="s"})"#),
        (#"sum by("foo.bar") (task:errors:rate10s{job="s"})"#, #"sum by ("foo.bar") (task:errors:rate10s{job="s"})"#),
        (#"sum without("foo.bar") (task:errors:rate10s{job="s"})"#, #"sum without ("foo.bar") (task:errors:rate10s{job="s"})"#),
        (#"topk(5, task:errors:rate10s{job="s"})"#, #"topk(5, task:errors:rate10s{job="s"})"#),
        (#"count_values("value", task:errors:rate10s{job="s"})"#, #"count_values("value", task:errors:rate10s{job="s"})"#),
        (#"a - on() c"#, #"a - on () c"#),
        (#"a - on(b) c"#, #"a - on (b) c"#),
        (#"a - on(b) group_left(x) c"#, #"a - on (b) group_left (x) c"#),
        (#"a - on(b) group_left(x, y) c"#, #"a - on (b) group_left (x, y) c"#),
        (#"a - on(b) group_left c"#, #"a - on (b) group_left () c"#),
        (#"a - on(b) group_left() (c)"#, #"a - on (b) group_left () (c)"#),
        (#"a - ignoring(b) c"#, #"a - ignoring (b) c"#),
        (#"a - ignoring() c"#, #"a - c"#),
        (#"a - ignoring() group_left(__metric__) c"#, #"a - ignoring () group_left (__metric__) c"#),
        (#"a - ignoring() group_left c"#, #"a - ignoring () group_left () c"#),
        (#"a + fill(-23) b"#, #"a + fill (-23) b"#),
        (#"a + fill_left(-23) b"#, #"a + fill_left (-23) b"#),
        (#"a + fill_right(42) b"#, #"a + fill_right (42) b"#),
        (#"a + fill_left(-23) fill_right(42) b"#, #"a + fill_left (-23) fill_right (42) b"#),
        (#"a + fill_left(5) fill_right(5) b"#, #"a + fill (5) b"#),
        (#"a + on(b) group_left fill(-23) c"#, #"a + on (b) group_left () fill (-23) c"#),
        (#"up > bool 0"#, #"up > bool 0"#),
        (#"a offset 1m"#, #"a offset 1m"#),
        (#"a offset -7m"#, #"a offset -7m"#),
        (#"a{c="d"}[5m] offset 1m"#, #"a{c="d"}[5m] offset 1m"#),
        (#"a[5m] offset 1m"#, #"a[5m] offset 1m"#),
        (#"a[12m] offset -3m"#, #"a[12m] offset -3m"#),
        (#"a[1h:5m] offset 1m"#, #"a[1h:5m] offset 1m"#),
        (#"a anchored"#, #"a anchored"#),
        (#"a[5m] anchored"#, #"a[5m] anchored"#),
        (#"a{b="c"}[5m] anchored"#, #"a{b="c"}[5m] anchored"#),
        (#"a{b="c"}[5m] anchored offset 1m"#, #"a{b="c"}[5m] anchored offset 1m"#),
        (#"a{b="c"}[5m] anchored @ start() offset 1m"#, #"a{b="c"}[5m] anchored @ start() offset 1m"#),
        (#"a smoothed"#, #"a smoothed"#),
        (#"a[5m] smoothed"#, #"a[5m] smoothed"#),
        (#"a{b="c"}[5m] smoothed"#, #"a{b="c"}[5m] smoothed"#),
        (#"a{b="c"}[5m] smoothed offset 1m"#, #"a{b="c"}[5m] smoothed offset 1m"#),
        (#"a{b="c"}[5m] smoothed @ start() offset 1m"#, #"a{b="c"}[5m] smoothed @ start() offset 1m"#),
        (#"{__name__="a"}"#, #"{__name__="a"}"#),
        (#"a{b!="c"}[1m]"#, #"a{b!="c"}[1m]"#),
        (#"a{b=~"c"}[1m]"#, #"a{b=~"c"}[1m]"#),
        (#"a{b!~"c"}[1m]"#, #"a{b!~"c"}[1m]"#),
        (#"a @ 10"#, #"a @ 10.000"#),
        (#"a[1m] @ 10"#, #"a[1m] @ 10.000"#),
        (#"a @ start()"#, #"a @ start()"#),
        (#"a @ end()"#, #"a @ end()"#),
        (#"a[1m] @ start()"#, #"a[1m] @ start()"#),
        (#"a[1m] @ end()"#, #"a[1m] @ end()"#),
        (#"{__name__="",a="x"}"#, #"{__name__="",a="x"}"#),
        (#"{"a.b"="c"}"#, #"{"a.b"="c"}"#),
        (#"{"0"="1"}"#, #"{"0"="1"}"#),
        (#"{"_0"="1"}"#, #"{_0="1"}"#),
        (#"{""="0"}"#, #"{""="0"}"#),
        (#"{``="0"}"#, #"{""="0"}"#),
        (#"1048576"#, #"1048576"#),
        (#"foo[step()]"#, #"foo[step()]"#),
        (#"foo[-step()]"#, #"foo[-step()]"#),
        (#"foo[(step())]"#, #"foo[(step())]"#),
        (#"foo[-(step())]"#, #"foo[-(step())]"#),
        (#"foo offset step()"#, #"foo offset step()"#),
        (#"foo offset -step()"#, #"foo offset -step()"#),
        (#"foo offset (step())"#, #"foo offset (step())"#),
        (#"foo offset -(step())"#, #"foo offset -(step())"#),
        (#"foo offset +(5*2)"#, #"foo offset (5 * 2)"#),
        (#"foo offset +min_of(10s, 20s)"#, #"foo offset min_of(10s, 20s)"#),
        (#"foo offset -min_of(10s, 20s)"#, #"foo offset -min_of(10s, 20s)"#),
        (#"foo offset -min_of(10s, +max_of(step() ^ 2, 2))"#, #"foo offset -min_of(10s, max_of(step() ^ 2, 2))"#),
        (#"foo[200-min_of(-step()^+step(),1)]"#, #"foo[200 - min_of(-step() ^ step(), 1)]"#),
        (#"foo[200 - min_of(step() + 10s, -max_of(step() ^ 2, 3))]"#, #"foo[200 - min_of(step() + 10s, -max_of(step() ^ 2, 3))]"#),
        (#"foo[range()]"#, #"foo[range()]"#),
        (#"foo[-range()]"#, #"foo[-range()]"#),
        (#"foo offset range()"#, #"foo offset range()"#),
        (#"foo offset -range()"#, #"foo offset -range()"#),
        (#"foo[max_of(range(), 5s)]"#, #"foo[max_of(range(), 5s)]"#),
        (#"predict_linear(foo[1h], 3000)"#, #"predict_linear(foo[1h], 3000)"#),
        (#"sum by("üüü") (foo)"#, #"sum by ("üüü") (foo)"#),
        (#"sum without("äää") (foo)"#, #"sum without ("äää") (foo)"#),
        (#"count by("ööö", job) (foo)"#, #"count by ("ööö", job) (foo)"#),
    ]

    static let prettierCases: [(String, String)] = [
        (#"sum(foo)"#, #"sum(foo)"#),
        (#"sum by() (task:errors:rate10s{job="s"})"#, #"""
sum(
  task:errors:rate10s{job="s"}
)
"""#),
        (#"sum without(job,foo) (task:errors:rate10s{job="s"})"#, #"""
sum without (job, foo) (
  task:errors:rate10s{job="s"}
)
"""#),
        (#"sum(task:errors:rate10s{job="s"}) without(job,foo)"#, #"""
sum without (job, foo) (
  task:errors:rate10s{job="s"}
)
"""#),
        (#"sum by(job,foo) (task:errors:rate10s{job="s"})"#, #"""
sum by (job, foo) (
  task:errors:rate10s{job="s"}
)
"""#),
        (#"sum (task:errors:rate10s{job="s"}) by(job,foo)"#, #"""
sum by (job, foo) (
  task:errors:rate10s{job="s"}
)
"""#),
        (#"topk(10, ask:errors:rate10s{job="s"})"#, #"""
topk(
  10,
  ask:errors:rate10s{job="s"}
)
"""#),
        (#"sum by(job,foo) (sum by(job,foo) (task:errors:rate10s{job="s"}))"#, #"""
sum by (job, foo) (
  sum by (job, foo) (
    task:errors:rate10s{job="s"}
  )
)
"""#),
        (#"sum by(job,foo) (sum by(job,foo) (sum by(job,foo) (task:errors:rate10s{job="s"})))"#, #"""
sum by (job, foo) (
  sum by (job, foo) (
    sum by (job, foo) (
      task:errors:rate10s{job="s"}
    )
  )
)
"""#),
        (#"""
sum by(job,foo)
(sum by(job,foo) (task:errors:rate10s{job="s"}))
"""#, #"""
sum by (job, foo) (
  sum by (job, foo) (
    task:errors:rate10s{job="s"}
  )
)
"""#),
        (#"""
sum by(job,foo)
(sum(task:errors:rate10s{job="s"}) without(job,foo))
"""#, #"""
sum by (job, foo) (
  sum without (job, foo) (
    task:errors:rate10s{job="s"}
  )
)
"""#),
        (#"""
sum by(job,foo) # Comment 1.
(sum by(job,foo) ( # Comment 2.
task:errors:rate10s{job="s"}))
"""#, #"""
sum by (job, foo) (
  sum by (job, foo) (
    task:errors:rate10s{job="s"}
  )
)
"""#),
        (#"a+b"#, #"a + b"#),
        (#"a == bool 1"#, #"""
  a
== bool
  1
"""#),
        (#"a + ignoring(job) b"#, #"""
  a
+ ignoring (job)
  b
"""#),
        (#"foo_1 + foo_2"#, #"""
  foo_1
+
  foo_2
"""#),
        (#"foo_1 + foo_2 + foo_3"#, #"""
    foo_1
  +
    foo_2
+
  foo_3
"""#),
        (#"foo + baar + foo_3"#, #"""
  foo + baar
+
  foo_3
"""#),
        (#"foo_1 + foo_2 + foo_3 + foo_4"#, #"""
      foo_1
    +
      foo_2
  +
    foo_3
+
  foo_4
"""#),
        (#"foo_1 + ignoring(foo) foo_2 + ignoring(job) group_left foo_3 + on(instance) group_right foo_4"#, #"""
      foo_1
    + ignoring (foo)
      foo_2
  + ignoring (job) group_left ()
    foo_3
+ on (instance) group_right ()
  foo_4
"""#),
        (#"rate(foo[1m])"#, #"""
rate(
  foo[1m]
)
"""#),
        (#"sum_over_time(foo[1m])"#, #"""
sum_over_time(
  foo[1m]
)
"""#),
        (#"rate(long_vector_selector[10m:1m] @ start() offset 1m)"#, #"""
rate(
  long_vector_selector[10m:1m] @ start() offset 1m
)
"""#),
        (#"histogram_quantile(0.9, rate(foo[1m]))"#, #"""
histogram_quantile(
  0.9,
  rate(
    foo[1m]
  )
)
"""#),
        (#"max_over_time(rate(demo_api_request_duration_seconds_count[1m])[1m:] @ start() offset 1m)"#, #"""
max_over_time(
  rate(
    demo_api_request_duration_seconds_count[1m]
  )[1m:] @ start() offset 1m
)
"""#),
        (#"label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*")"#, #"""
label_replace(
  up{job="api-server",service="a:c"},
  "foo",
  "$1",
  "service",
  "(.*):.*"
)
"""#),
        (#"label_replace(label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*"), "foo", "$1", "service", "(.*):.*")"#, #"""
label_replace(
  label_replace(
    up{job="api-server",service="a:c"},
    "foo",
    "$1",
    "service",
    "(.*):.*"
  ),
  "foo",
  "$1",
  "service",
  "(.*):.*"
)
"""#),
        (#"(foo)"#, #"(foo)"#),
        (#"(_foo_long_)"#, #"""
(
  _foo_long_
)
"""#),
        (#"((foo_long))"#, #"""
(
  (foo_long)
)
"""#),
        (#"((_foo_long_))"#, #"""
(
  (
    _foo_long_
  )
)
"""#),
        (#"(((foo_long)))"#, #"""
(
  (
    (foo_long)
  )
)
"""#),
        (#"a @ 1"#, #"a @ 1.000"#),
        (#"a @ start()"#, #"a @ start()"#),
        (#"vector_selector @ start()"#, #"vector_selector @ start()"#),
        (#"(1 + 2)"#, #"(1 + 2)"#),
        (#"(foo + bar)"#, #"""
(
  foo + bar
)
"""#),
        (#"(foo_long + bar_long)"#, #"""
(
    foo_long
  +
    bar_long
)
"""#),
        (#"(foo_long + bar_long + bar_2_long)"#, #"""
(
      foo_long
    +
      bar_long
  +
    bar_2_long
)
"""#),
        (#"((foo_long + bar_long) + bar_2_long)"#, #"""
(
    (
        foo_long
      +
        bar_long
    )
  +
    bar_2_long
)
"""#),
        (#"(1111 + 2222)"#, #"""
(
    1111
  +
    2222
)
"""#),
        (#"(sum_over_time(foo[1m]))"#, #"""
(
  sum_over_time(
    foo[1m]
  )
)
"""#),
        (#"histogram_quantile(0.9, rate(foo[1m] @ start()))"#, #"""
histogram_quantile(
  0.9,
  rate(
    foo[1m] @ start()
  )
)
"""#),
        (#"(label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*"))"#, #"""
(
  label_replace(
    up{job="api-server",service="a:c"},
    "foo",
    "$1",
    "service",
    "(.*):.*"
  )
)
"""#),
        (#"(label_replace(label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*"), "foo", "$1", "service", "(.*):.*"))"#, #"""
(
  label_replace(
    label_replace(
      up{job="api-server",service="a:c"},
      "foo",
      "$1",
      "service",
      "(.*):.*"
    ),
    "foo",
    "$1",
    "service",
    "(.*):.*"
  )
)
"""#),
        (#"(label_replace(label_replace((up{job="api-server",service="a:c"}), "foo", "$1", "service", "(.*):.*"), "foo", "$1", "service", "(.*):.*"))"#, #"""
(
  label_replace(
    label_replace(
      (
        up{job="api-server",service="a:c"}
      ),
      "foo",
      "$1",
      "service",
      "(.*):.*"
    ),
    "foo",
    "$1",
    "service",
    "(.*):.*"
  )
)
"""#),
        (#"(node_filesystem_avail_bytes{job="node",fstype!=""} / node_filesystem_size_bytes{job="node",fstype!=""} * 100 < 40 and predict_linear(node_filesystem_avail_bytes{job="node",fstype!=""}[6h], 24*60*60) < 0 and node_filesystem_readonly{job="node",fstype!=""} == 0)"#, #"""
(
            node_filesystem_avail_bytes{fstype!="",job="node"}
          /
            node_filesystem_size_bytes{fstype!="",job="node"}
        *
          100
      <
        40
    and
        predict_linear(
          node_filesystem_avail_bytes{fstype!="",job="node"}[6h],
            24 * 60
          *
            60
        )
      <
        0
  and
      node_filesystem_readonly{fstype!="",job="node"}
    ==
      0
)
"""#),
        (#"(node_filesystem_avail_bytes{job="node",fstype!=""} / node_filesystem_size_bytes{job="node",fstype!=""} * 100 < 20 and predict_linear(node_filesystem_avail_bytes{job="node",fstype!=""}[6h], 4*60*60) < 0 and node_filesystem_readonly{job="node",fstype!=""} == 0)"#, #"""
(
            node_filesystem_avail_bytes{fstype!="",job="node"}
          /
            node_filesystem_size_bytes{fstype!="",job="node"}
        *
          100
      <
        20
    and
        predict_linear(
          node_filesystem_avail_bytes{fstype!="",job="node"}[6h],
            4 * 60
          *
            60
        )
      <
        0
  and
      node_filesystem_readonly{fstype!="",job="node"}
    ==
      0
)
"""#),
        (#"(node_timex_offset_seconds > 0.05 and deriv(node_timex_offset_seconds[5m]) >= 0) or (node_timex_offset_seconds < -0.05 and deriv(node_timex_offset_seconds[5m]) <= 0)"#, #"""
  (
        node_timex_offset_seconds
      >
        0.05
    and
        deriv(
          node_timex_offset_seconds[5m]
        )
      >=
        0
  )
or
  (
        node_timex_offset_seconds
      <
        -0.05
    and
        deriv(
          node_timex_offset_seconds[5m]
        )
      <=
        0
  )
"""#),
        (#"1 - ((node_memory_MemAvailable_bytes{job="node"} or (node_memory_Buffers_bytes{job="node"} + node_memory_Cached_bytes{job="node"} + node_memory_MemFree_bytes{job="node"} + node_memory_Slab_bytes{job="node"}) ) / node_memory_MemTotal_bytes{job="node"})"#, #"""
  1
-
  (
      (
          node_memory_MemAvailable_bytes{job="node"}
        or
          (
                  node_memory_Buffers_bytes{job="node"}
                +
                  node_memory_Cached_bytes{job="node"}
              +
                node_memory_MemFree_bytes{job="node"}
            +
              node_memory_Slab_bytes{job="node"}
          )
      )
    /
      node_memory_MemTotal_bytes{job="node"}
  )
"""#),
        (#"min by (job, integration) (rate(alertmanager_notifications_failed_total{job="alertmanager", integration=~".*"}[5m]) / rate(alertmanager_notifications_total{job="alertmanager", integration="~.*"}[5m])) > 0.01"#, #"""
  min by (job, integration) (
      rate(
        alertmanager_notifications_failed_total{integration=~".*",job="alertmanager"}[5m]
      )
    /
      rate(
        alertmanager_notifications_total{integration="~.*",job="alertmanager"}[5m]
      )
  )
>
  0.01
"""#),
        (#"(count by (job) (changes(process_start_time_seconds{job="alertmanager"}[10m]) > 4) / count by (job) (up{job="alertmanager"})) >= 0.5"#, #"""
  (
      count by (job) (
          changes(
            process_start_time_seconds{job="alertmanager"}[10m]
          )
        >
          4
      )
    /
      count by (job) (
        up{job="alertmanager"}
      )
  )
>=
  0.5
"""#),
        (#"-1"#, #"-1"#),
        (#"-vector_selector"#, #"-vector_selector"#),
        (#"(-vector_selector)"#, #"""
(
  -vector_selector
)
"""#),
        (#"-histogram_quantile(0.9,rate(foo[1m]))"#, #"""
-histogram_quantile(
  0.9,
  rate(
    foo[1m]
  )
)
"""#),
        (#"-histogram_quantile(0.99, sum by (le) (rate(foo[1m])))"#, #"""
-histogram_quantile(
  0.99,
  sum by (le) (
    rate(
      foo[1m]
    )
  )
)
"""#),
        (#"-histogram_quantile(0.9, -rate(foo[1m] @ start()))"#, #"""
-histogram_quantile(
  0.9,
  -rate(
    foo[1m] @ start()
  )
)
"""#),
        (#"(-histogram_quantile(0.9, -rate(foo[1m] @ start())))"#, #"""
(
  -histogram_quantile(
    0.9,
    -rate(
      foo[1m] @ start()
    )
  )
)
"""#),
        (#"rate(foo[2*1h])"#, #"""
rate(
  foo[2 * 1h]
)
"""#),
        (#"rate(foo[2*1h])"#, #"""
rate(
  foo[2 * 1h]
)
"""#),
        (#"rate(foo[-5m+35m])"#, #"""
rate(
  foo[-5m + 35m]
)
"""#),
    ]

    @Test func printerMatchesPrometheusTable() throws {
        #expect(Self.printerCases.count >= 80)
        for (input, expected) in Self.printerCases where !Self.knownPrinterDifferences.contains(input) {
            let q = try PromQL.parseForPrinting(input, compat: .v3_14, features: .all)
            #expect(q.promQLString == expected, "\(input)")
        }
    }

    @Test func prettifierMatchesPrometheusTable() throws {
        #expect(Self.prettierCases.count >= 60)
        for (input, expected) in Self.prettierCases where !Self.knownPrettierDifferences.contains(input) {
            let q = try PromQL.parseForPrinting(input, compat: .v3_14, features: .all)
            let printer = ExprPrinter(compat: .v3_14, durationLiterals: q.durationLiterals)
            #expect(ExprPrettier(printer: printer, maxLineLength: 10).pretty(q.expr, 0, base: 0) == expected, "\(input)")
        }
    }

    /// Prometheus 2.42's printer (the `v2.42.0` printer.go): numbers as `%v`, no quoting of
    /// label names, `ignoring ()` dropped even before group modifiers.
    @Test func printer242() throws {
        let cases: [(String, String)] = [
            ("1048576", "1.048576e+06"),
            ("123456", "123456"),
            ("0.00001", "1e-05"),
            ("0.0001", "0.0001"),
            ("a - ignoring() group_left c", "a - c"),
            ("a - on(b) group_left c", "a - on (b) group_left () c"),
            ("sum by(a) (b)", "sum by (a) (b)"),
            ("a @ 10", "a @ 10.000"),
            ("a[5m:] offset -1h30m", "a[5m:] offset -1h30m"),
        ]
        for (input, expected) in cases {
            let e = try PromQL.parse(input, compat: .v2_42)
            #expect(e.promQLString(compat: .v2_42) == expected, "\(input)")
        }
    }

    /// 3.x: a duration where a number is expected prints as the duration, wherever it is.
    @Test func durationNumberLiterals() throws {
        let cases: [(String, String)] = [
            ("foo + 5m", "foo + 5m"),
            ("time() - -1h30m", "time() - -1h30m"),
            ("clamp(foo, 1m, 3600) + (2h)", "clamp(foo, 1m, 3600) + (2h)"),
            ("topk(1, foo) > bool 1ms", "topk(1, foo) > bool 1ms"),
            ("-1d", "-1d"),
        ]
        for (input, expected) in cases {
            #expect(try PromQL.parseForPrinting(input, compat: .v3_14, features: .all).promQLString == expected, "\(input)")
        }
        let long = "sum by (job) (rate(some_metric_with_a_long_name_total{job=\"x\"}[5m])) * 60 + clamp_min(other_metric_name{job=\"y\"}, 90s) - 1h"
        let got = try PromQL.parseForPrinting(long, compat: .v3_14, features: .all).prettified
        #expect(got == """
                sum by (job) (rate(some_metric_with_a_long_name_total{job="x"}[5m])) * 60
              +
                clamp_min(other_metric_name{job="y"}, 1m30s)
            -
              1h
            """, "\(got)")
    }

    @Test func modelDurations() {
        let p = ExprPrinter(compat: .v3_14)
        #expect(p.modelDuration(0) == "0s")
        #expect(p.modelDuration(1) == "1ms")
        #expect(p.modelDuration(5_400_000) == "1h30m")
        #expect(p.modelDuration(365 * 86_400_000) == "1y")
        #expect(p.modelDuration(14 * 86_400_000) == "2w")
        #expect(p.modelDuration(15 * 86_400_000) == "15d")
        #expect(p.modelDuration(90_061_001) == "1d1h1m1s1ms")
    }

    /// UTF-8 names (3.x): quoted label names and metric names given as a quoted string.
    @Test func utf8Names() throws {
        #expect(try Self.parse(#"{"service.name"="x"}"#).promQLString == #"{"service.name"="x"}"#)
        #expect(try Self.parse(#"{"http.server.duration", job="a"}"#).promQLString == #"{__name__="http.server.duration",job="a"}"#)
        #expect(try Self.parse(#"foo{a=~"x.y"}"#).promQLString == #"foo{a=~"x.y"}"#)
        #expect(try Self.parse("foo{a=\"\u{200B}\u{A0}ü\u{1F600}\"}").promQLString == #"foo{a="\u200b\u00a0ü😀"}"#)
        #expect(try Self.parse(#"foo / on("äää") group_left("ööö") bar"#).promQLString == #"foo / on ("äää") group_left ("ööö") bar"#)
    }

    /// `/api/v1/parse_query` objects, checked by hand against translate_ast.go (3.14); the
    /// queries are from prometheus/prometheus web/api/v1/translate_ast_test.go
    /// (TestTranslateASTDurationExpressions) plus an aggregation, a matched binary
    /// expression and a call.
    @Test func astJSON() throws {
        let foo = #"{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":0,"offsetExpr":null,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"}"#
        let bar = foo.replacingOccurrences(of: "foo", with: "bar")
        let cases: [(String, String)] = [
            ("foo[5m] offset 1m",
             #"{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":60000,"offsetExpr":null,"range":300000,"rangeExpr":null,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"matrixSelector"}"#),
            ("foo[5m:1m]",
             #"{"expr":"# + foo + #","offset":0,"offsetExpr":null,"range":300000,"rangeExpr":null,"startOrEnd":null,"step":60000,"stepExpr":null,"timestamp":null,"type":"subquery"}"#),
            ("foo[range()]",
             #"{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":0,"offsetExpr":null,"range":0,"rangeExpr":{"lhs":null,"op":"range","rhs":null,"type":"durationExpr","wrapped":false},"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"matrixSelector"}"#),
            ("foo offset 5m", foo.replacingOccurrences(of: #""offset":0"#, with: #""offset":300000"#)),
            ("foo @ start()", foo.replacingOccurrences(of: #""startOrEnd":null"#, with: #""startOrEnd":"start""#)),
            ("foo @ 10", foo.replacingOccurrences(of: #""timestamp":null"#, with: #""timestamp":10000"#)),
            ("sum by (job) (foo) / on (job) group_left bar",
             #"{"bool":false,"lhs":{"expr":"# + foo + #","grouping":["job"],"op":"sum","param":null,"type":"aggregation","without":false},"matching":{"card":"many-to-one","fillValues":{"lhs":null,"rhs":null},"include":[],"labels":["job"],"on":true},"op":"/","rhs":"# + bar + #","type":"binaryExpr"}"#),
            ("topk(-2, foo) > bool 1",
             #"{"bool":true,"lhs":{"expr":"# + foo + #","grouping":[],"op":"topk","param":{"type":"numberLiteral","val":"-2"},"type":"aggregation","without":false},"matching":null,"op":"\u003e","rhs":{"type":"numberLiteral","val":"1"},"type":"binaryExpr"}"#),
            ("label_join(-(foo), \"a\", \"\")",
             #"{"args":[{"expr":{"expr":"# + foo + #","type":"parenExpr"},"op":"-","type":"unaryExpr"},{"type":"stringLiteral","val":"a"},{"type":"stringLiteral","val":""}],"func":{"argTypes":["vector","string","string","string"],"name":"label_join","returnType":"vector","variadic":-1},"type":"call"}"#),
            // translate_ast_test.go: duration expressions as written.
            ("foo[5m+1m] offset (10m/2)",
             #"{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":0,"offsetExpr":{"lhs":{"duration":true,"type":"numberLiteral","val":"600"},"op":"/","rhs":{"duration":false,"type":"numberLiteral","val":"2"},"type":"durationExpr","wrapped":true},"range":0,"rangeExpr":{"lhs":{"duration":true,"type":"numberLiteral","val":"300"},"op":"+","rhs":{"duration":true,"type":"numberLiteral","val":"60"},"type":"durationExpr","wrapped":false},"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"matrixSelector"}"#),
            ("foo[4s+4s:1s*2] offset (5s-8)",
             #"{"expr":"# + foo + #","offset":0,"offsetExpr":{"lhs":{"duration":true,"type":"numberLiteral","val":"5"},"op":"-","rhs":{"duration":false,"type":"numberLiteral","val":"8"},"type":"durationExpr","wrapped":true},"range":0,"rangeExpr":{"lhs":{"duration":true,"type":"numberLiteral","val":"4"},"op":"+","rhs":{"duration":true,"type":"numberLiteral","val":"4"},"type":"durationExpr","wrapped":false},"startOrEnd":null,"step":0,"stepExpr":{"lhs":{"duration":true,"type":"numberLiteral","val":"1"},"op":"*","rhs":{"duration":false,"type":"numberLiteral","val":"2"},"type":"durationExpr","wrapped":false},"timestamp":null,"type":"subquery"}"#),
            ("foo offset -min_of(5s,step()+8s)", foo.replacingOccurrences(of: #""offsetExpr":null"#, with: #""offsetExpr":{"lhs":null,"op":"-","rhs":{"lhs":{"duration":true,"type":"numberLiteral","val":"5"},"op":"min_of","rhs":{"lhs":{"lhs":null,"op":"step","rhs":null,"type":"durationExpr","wrapped":false},"op":"+","rhs":{"duration":true,"type":"numberLiteral","val":"8"},"type":"durationExpr","wrapped":false},"type":"durationExpr","wrapped":false},"type":"durationExpr","wrapped":false}"#)),
            (#"{"a.b"=~"x.*"}"#,
             #"{"anchored":false,"matchers":[{"name":"a.b","type":"=~","value":"x.*"}],"name":"","offset":0,"offsetExpr":null,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"}"#),
        ]
        for (input, expected) in cases {
            #expect(try Self.parse(input).astJSONText(compat: .v3_14) == expected, "\(input)")
        }
        let fill = try Self.parse("a + fill_left(0.0000015) fill_right(-1e-7) b").astJSONText(compat: .v3_14)
        #expect(fill.contains(#""fillValues":{"lhs":0.0000015,"rhs":-1e-7}"#), "\(fill)")
    }

    /// The `eval` queries of Prometheus's 2.42 and 3.14 test scripts (/work/shared): printing
    /// is a fixed point — the printed and the prettified text parse again and print the same.
    @Test func printedQueriesParseBackToTheSameText() throws {
        let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
        let pattern = try Regex(#"^eval\S*\s+(?:instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(.+)$"#)
        var checked = 0
        for (dir, compat) in [("promql-tests", PromQLCompat.v2_42), ("promql-tests-3.14", .v3_14)] {
            let path = shared.appendingPathComponent(dir).path
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("\(path) is missing") }
                continue
            }
            for f in files.sorted() where f.hasSuffix(".test") {
                let text = try String(contentsOfFile: path + "/" + f, encoding: .utf8)
                for line in text.split(separator: "\n") {
                    guard let m = try pattern.wholeMatch(in: String(line)), let q = m.output[1].substring else { continue }
                    guard let parsed = try? PromQL.parseForPrinting(String(q), compat: compat, features: .all) else { continue }
                    let printed = parsed.promQLString
                    let pretty = parsed.prettified
                    for text in [printed, pretty] {
                        do {
                            let again = try PromQL.parseForPrinting(text, compat: compat, features: .all)
                            #expect(again.promQLString == printed, "\(f): \(q)")
                        } catch {
                            Issue.record("\(f): \(q) printed as \(text) does not parse: \(error)")
                        }
                    }
                    checked += 1
                }
            }
        }
        if ProcessInfo.processInfo.environment["CI"] == "true" { #expect(checked > 2000) }
    }
}
