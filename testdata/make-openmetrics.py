#!/usr/bin/env python3
"""Writes testdata/prometheus.om: a small OpenMetrics file exercising what the TSDB format
must carry (counters with resets, gauges with NaN/±Inf/huge/tiny values, a classic histogram
with "1.0"-style le labels, label values needing escapes, irregular scrape gaps) over 7h,
so promtool cuts it into several 2h blocks. Deterministic."""
import math, random

random.seed(42)
START = 1_700_000_000 - (1_700_000_000 % 7200)  # aligned to a 2h block boundary
out = []
def family(name, typ, helptext, series):
    out.append(f"# HELP {name} {helptext}")
    out.append(f"# TYPE {name} {typ}")
    for labels, samples in series:
        for ts, v in samples:
            out.append(f"{name}{labels} {v} {ts}")

def times(step, hours, jitter=0, gaps=False):
    t = START
    res = []
    while t < START + hours * 3600:
        if not (gaps and random.random() < 0.05):
            res.append(t + (random.randint(0, jitter) / 1000 if jitter else 0))
        t += step
    return res

def fmt(v):
    if isinstance(v, float) and math.isnan(v): return "NaN"
    if v == math.inf: return "+Inf"
    if v == -math.inf: return "-Inf"
    return repr(v)

# Counter with resets, two jobs.
series = []
for job in ["api", "db"]:
    for inst in range(3):
        c = 0.0
        s = []
        for ts in times(30, 7, jitter=20, gaps=True):
            c += random.randint(0, 50)
            if random.random() < 0.01: c = float(random.randint(0, 5))
            s.append((f"{ts:.3f}", fmt(c)))
        series.append((f'{{job="{job}",instance="host-{inst}:9100"}}', s))
family("http_requests", "counter", "Requests.", [(l.replace("}", ',code="200"}'), s) for l, s in series])
# OpenMetrics counters get a _total suffix in the sample name.
out[:] = [line.replace("http_requests{", "http_requests_total{") for line in out]

# Gauges with special values and awkward label values.
specials = [0.0, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, -123456789.125, 1234567.0, 100000.0, 1e21, 0.1, float("nan"), math.inf, -math.inf]
gs = []
for i, lv in enumerate(['plain', 'quote\\"inside', 'back\\\\slash', 'new\\nline', 'ünïcödé', 'space here', '']):
    s = []
    for k, ts in enumerate(times(60, 7)):
        v = specials[(k + i) % len(specials)] if k % 3 == 0 else random.uniform(-1000, 1000)
        s.append((str(ts), fmt(v)))
    label = f'{{kind="{lv}"}}' if lv else '{kind="x",empty=""}'
    gs.append((label, s))
family("weird_gauge", "gauge", "Special values.", gs)

# Classic histogram.
hs = []
bounds = ["0.1", "0.5", "1.0", "+Inf"]
counts = [0, 0, 0, 0]
total, ssum = 0, 0.0
hist_times = times(15, 5)
bucket_series = {b: [] for b in bounds}
sum_s, count_s = [], []
for ts in hist_times:
    for _ in range(random.randint(0, 5)):
        x = random.random() * 2
        total += 1; ssum += x
        for j, b in enumerate([0.1, 0.5, 1.0, math.inf]):
            if x <= b: counts[j] += 1
    for j, b in enumerate(bounds):
        bucket_series[b].append((str(ts), str(counts[j])))
    sum_s.append((str(ts), repr(round(ssum, 6))))
    count_s.append((str(ts), str(total)))
out.append("# HELP rpc_duration_seconds RPC latency.")
out.append("# TYPE rpc_duration_seconds histogram")
for b in bounds:
    for ts, v in bucket_series[b]:
        out.append(f'rpc_duration_seconds_bucket{{service="auth",le="{b}"}} {v} {ts}')
for ts, v in count_s:
    out.append(f'rpc_duration_seconds_count{{service="auth"}} {v} {ts}')
for ts, v in sum_s:
    out.append(f'rpc_duration_seconds_sum{{service="auth"}} {v} {ts}')
out.append("# EOF")
open("prometheus.om", "w").write("\n".join(out) + "\n")
