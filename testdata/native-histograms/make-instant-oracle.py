#!/usr/bin/python3
"""Rebuilds the histogram oracle with one instant query per raw sample.

Prometheus 2.42's range-vector answer (`*.api-raw.json.gz`) aliases histogram points: every
histogram of a scraped series but the last shows the same object (count 840, the rule
series' last value). An instant query returns one histogram per series, so it is not hit.

Usage: start Prometheus 2.42 on a copy of the block, e.g.
  prometheus --storage.tsdb.path=DATA --enable-feature=native-histograms \
    --storage.tsdb.retention.time=100y --web.listen-address=127.0.0.1:19391 --config.file=CFG
then: make-instant-oracle.py prom242/ULID.api-raw.json.gz http://127.0.0.1:19391 OUT.json.gz
Timestamps come from the raw answer (they are right); values from `query?time=<sample time>`.
"""
import gzip, json, sys, urllib.parse, urllib.request

raw, base, out = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(gzip.open(raw))
for series in doc["data"]["result"]:
    if "histograms" not in series:
        continue
    sel = "{" + ",".join('%s="%s"' % (k, v) for k, v in sorted(series["metric"].items())) + "}"
    points = []
    for ts, _ in series["histograms"]:
        q = urllib.parse.urlencode({"query": sel, "time": "%.3f" % ts})
        ans = json.load(urllib.request.urlopen(base + "/api/v1/query?" + q))
        res = ans["data"]["result"]
        assert len(res) == 1 and "histogram" in res[0], (sel, ts, ans)
        points.append([ts, res[0]["histogram"][1]])
    series["histograms"] = points
with gzip.open(out, "wt") as f:
    json.dump(doc, f, separators=(",", ":"))
