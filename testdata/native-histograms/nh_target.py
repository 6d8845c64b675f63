#!/usr/bin/python3
"""A scrape target that serves native histograms in Prometheus's protobuf exposition format.

Run with Debian's interpreter (/usr/bin/python3, which has python3-protobuf):
    /usr/bin/python3 nh_target.py PORT [SEED]

Every scrape advances the state by one step (deterministic for a seed), so a Prometheus
scraping it stores:
- nh_request_duration_seconds{handler="a"|"b"|"c"}: counter histograms, schema 3; handler "b"
  resets to zero at step 30 (a counter reset, which cuts a new chunk with the reset header);
  new buckets appear over time (span changes the appender recodes).
- nh_temperature_change: negative and positive observations and a wide zero bucket
  (zero_threshold 0.01), schema 0.
- nh_schema_switch: schema 4 until step 25, then schema 1 (buckets merged, as a client that
  reduces its resolution does).
- nh_empty: a native histogram with no observations for 10 steps (no-op span), then some.
- nh_requests_total{handler} (counter) and nh_inflight (gauge): plain floats beside them.
No gauge histogram: Prometheus 2.42 fails to snapshot one whose counts go down (README.md).
"""
import http.server
import math
import random
import sys
import threading

from google.protobuf.internal.encoder import _VarintBytes

import metrics_pb2 as pb

CONTENT_TYPE = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"


def bucket_index(v, schema):
    """Index of the bucket (lower, upper] that holds |v| > zero threshold."""
    v = abs(v)
    frac, exp = math.frexp(v)  # v = frac * 2**exp, frac in [0.5, 1)
    if schema > 0:
        # Upper bound 2**(i / 2**schema): i = ceil(log2(v) * 2**schema).
        return math.ceil(math.log2(v) * (1 << schema) - 1e-9)
    # schema <= 0: buckets of width factor 2**(2**-schema).
    idx = exp if frac != 0.5 else exp - 1
    return (idx + (1 << -schema) - 1) >> -schema


def reduce_index(idx, delta):
    """Index after lowering the resolution by `delta` schema steps (Prometheus's rule)."""
    return ((idx - 1) >> delta) + 1 if idx > 0 else idx >> delta


class NativeHistogram:
    def __init__(self, schema, zero_threshold=2.938735877055719e-39):
        self.schema = schema
        self.zero_threshold = zero_threshold
        self.reset()

    def reset(self):
        self.pos, self.neg = {}, {}
        self.zero = 0
        self.count = 0
        self.sum = 0.0

    def observe(self, v):
        self.count += 1
        self.sum += v
        if abs(v) <= self.zero_threshold:
            self.zero += 1
            return
        side = self.pos if v > 0 else self.neg
        i = bucket_index(v, self.schema)
        side[i] = side.get(i, 0) + 1

    def set_schema(self, schema):
        delta = self.schema - schema
        assert delta > 0
        for name in ("pos", "neg"):
            merged = {}
            for i, c in getattr(self, name).items():
                j = reduce_index(i, delta)
                merged[j] = merged.get(j, 0) + c
            setattr(self, name, merged)
        self.schema = schema

    @staticmethod
    def spans_and_deltas(buckets, spans_out, deltas_out):
        """Spans over the sorted indices; gaps of one or two buckets are filled with empty
        buckets the way client_golang does, longer gaps start a new span."""
        idx = sorted(buckets)
        prev_count, prev_idx = 0, None
        for i in idx:
            if prev_idx is None:
                span = spans_out.add(offset=i, length=0)
            elif i - prev_idx <= 3:
                for _ in range(i - prev_idx - 1):
                    span.length += 1
                    deltas_out.append(0 - prev_count)
                    prev_count = 0
            else:
                span = spans_out.add(offset=i - prev_idx - 1, length=0)
            span.length += 1
            deltas_out.append(buckets[i] - prev_count)
            prev_count, prev_idx = buckets[i], i

    def fill(self, h):
        h.sample_count = self.count
        h.sample_sum = self.sum
        h.schema = self.schema
        h.zero_threshold = self.zero_threshold
        h.zero_count = self.zero
        self.spans_and_deltas(self.pos, h.positive_span, h.positive_delta)
        self.spans_and_deltas(self.neg, h.negative_span, h.negative_delta)
        if not self.pos and not self.neg and self.zero == 0:
            h.positive_span.add(offset=0, length=0)  # no-op span: native, not classic


class Target:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.step = 0
        self.lock = threading.Lock()
        self.handlers = {h: NativeHistogram(3) for h in ("a", "b", "c")}
        self.requests = {h: 0 for h in self.handlers}
        self.temperature = NativeHistogram(0, zero_threshold=0.01)
        self.switch = NativeHistogram(4)
        self.empty = NativeHistogram(2)

    def advance(self):
        r = self.rng
        self.step += 1
        for name, h in self.handlers.items():
            if name == "b" and self.step == 30:
                h.reset()
                self.requests[name] = 0
            for _ in range(r.randint(0, 6)):
                h.observe(r.lognormvariate(-3 if name != "c" else -1, 1.2))
                self.requests[name] += 1
        for _ in range(r.randint(1, 4)):
            v = r.gauss(0, 0.5)
            self.temperature.observe(0.0 if r.random() < 0.15 else v)
        if self.step == 25:
            self.switch.set_schema(1)
        for _ in range(r.randint(1, 3)):
            self.switch.observe(r.expovariate(2.0) + 1e-6)
        if self.step > 10:
            for _ in range(r.randint(0, 2)):
                self.empty.observe(r.uniform(0.1, 100))

    def families(self):
        fams = []
        f = pb.MetricFamily(name="nh_request_duration_seconds", help="Request duration.", type=pb.HISTOGRAM)
        for name, h in self.handlers.items():
            m = f.metric.add()
            m.label.add(name="handler", value=name)
            h.fill(m.histogram)
        fams.append(f)
        for fam_name, h, typ, help_text in (
            ("nh_temperature_change", self.temperature, pb.HISTOGRAM, "Temperature changes."),
            ("nh_schema_switch", self.switch, pb.HISTOGRAM, "Resolution lowered at step 25."),
            ("nh_empty", self.empty, pb.HISTOGRAM, "Empty for ten steps."),
        ):
            f = pb.MetricFamily(name=fam_name, help=help_text, type=typ)
            h.fill(f.metric.add().histogram)
            fams.append(f)
        f = pb.MetricFamily(name="nh_requests_total", help="Requests.", type=pb.COUNTER)
        for name, n in self.requests.items():
            m = f.metric.add()
            m.label.add(name="handler", value=name)
            m.counter.value = n
        fams.append(f)
        f = pb.MetricFamily(name="nh_inflight", help="In flight.", type=pb.GAUGE)
        f.metric.add().gauge.value = self.rng.randint(0, 20)
        fams.append(f)
        return fams

    def scrape(self):
        with self.lock:
            self.advance()
            out = bytearray()
            for fam in self.families():
                data = fam.SerializeToString()
                out += _VarintBytes(len(data)) + data
            return bytes(out)


def main():
    port = int(sys.argv[1])
    target = Target(int(sys.argv[2]) if len(sys.argv) > 2 else 1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = target.scrape()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
