#!/usr/bin/env python3
"""Writes the Grafana dashboards of deploy/monitoring/dashboards/ (one per service and an
overview) from the panel lists below, so that every dashboard has the same variables, layout
and conventions. Run it after changing a panel and commit its output; `--check` only compares
(MonitoringMixinTests runs it, and checks every metric the dashboards use against the
binaries' /metrics).

Usage: dashboards.py [--check]
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "dashboards")
RATE = "$__rate_interval"
SEL = 'job=~"$job", instance=~"$instance"'


def ts(title, exprs, unit="short", legend="{{instance}}", stack=False):
    """A time series panel; `exprs` are PromQL strings or (expr, legend) pairs."""
    return {"type": "timeseries", "title": title, "unit": unit, "stack": stack,
            "targets": [e if isinstance(e, tuple) else (e, legend) for e in exprs]}


def stat(title, expr, unit="short", legend="{{instance}}"):
    return {"type": "stat", "title": title, "unit": unit, "targets": [(expr, legend)]}


def row(title, *panels):
    return {"row": title, "panels": list(panels)}


def bucket_row():
    """Object store traffic, the same on every service that has a bucket."""
    return row(
        "Object store",
        ts("Operations", [(f'sum by (operation) (rate(strata_objstore_bucket_operations_total{{{SEL}}}[{RATE}]))', "{{operation}}")], "ops"),
        ts("Failed operations", [(f'sum by (operation) (rate(strata_objstore_bucket_operation_failures_total{{{SEL}}}[{RATE}]))', "{{operation}}")], "ops"),
        ts("Operation latency p99", [(f'histogram_quantile(0.99, sum by (operation, le) (rate(strata_objstore_bucket_operation_duration_seconds_bucket{{{SEL}}}[{RATE}])))', "{{operation}}")], "s"),
    )


def reachable_stat():
    return stat("Bucket reachable", f'min by (instance) (strata_objstore_reachable{{{SEL}}})', "bool_yes_no")


DASHBOARDS = {
    "overview": {
        "title": "Strata / Overview",
        "variables": False,
        "rows": [
            row("Health",
                stat("Since the last completed compaction", "time() - max(strata_compact_last_successful_run_timestamp_seconds > 0)", "s", "compactor"),
                stat("Since the oldest sidecar's last shipping round", "time() - min(strata_shipper_last_successful_upload_time_seconds > 0)", "s", "sidecars"),
                stat("Unhealthy querier endpoints", "sum(strata_query_endpoints - strata_query_endpoints_healthy)", "short", "endpoints"),
                stat("Unreachable buckets", "count(strata_objstore_reachable == 0) or vector(0)", "short", "processes"),
                stat("Frontend cache hit ratio", "avg(strata:frontend_cache_hit_ratio:rate15m)", "percentunit", "hit ratio")),
            row("Reads",
                ts("Query latency p99", [("strata:query_http_request_duration_seconds:p99_rate5m", "{{job}} {{handler}}")], "s"),
                ts("Store Series latency p99", [("strata:bucket_store_series_duration_seconds:p99_rate5m", "{{job}} {{instance}}")], "s"),
                ts("Blocks loaded by store gateways", [("sum by (job) (strata_bucket_store_blocks_loaded)", "{{job}}")])),
            row("Writes",
                ts("Blocks uploaded", [(f"sum by (job) (rate(strata_shipper_uploads_total[{RATE}]))", "{{job}}")], "ops"),
                ts("Samples received by receivers", [(f"sum by (job) (rate(strata_receive_samples_received_total[{RATE}]))", "{{job}}")], "ops"),
                ts("Rule evaluations failing", [(f"sum by (job) (rate(prometheus_rule_evaluation_failures_total[{RATE}]) and on (job, instance) strata_rule_config_last_reload_successful)", "{{job}}")], "ops")),
            row("Object store",
                ts("Failed operations by job", [(f"sum by (job) (rate(strata_objstore_bucket_operation_failures_total[{RATE}]))", "{{job}}")], "ops"),
                ts("Compaction backlog", [("sum by (job) (strata_compact_todo_compactions)", "{{job}}")])),
        ],
    },
    "compact": {
        "title": "Strata / Compactor",
        "job_metric": "strata_compact_iterations_total",
        "rows": [
            row("Passes",
                stat("Since the last completed pass", f'time() - (strata_compact_last_successful_run_timestamp_seconds{{{SEL}}} > 0)', "s"),
                stat("Holds the bucket lock", f'strata_compact_lock_held{{{SEL}}}', "bool_yes_no"),
                stat("Lock expires in", f'strata_compact_lock_expiry_timestamp_seconds{{{SEL}}} - time()', "s"),
                ts("Passes and failed passes", [(f'rate(strata_compact_iterations_total{{{SEL}}}[{RATE}])', "passes {{instance}}"),
                                                (f'rate(strata_compact_iteration_failures_total{{{SEL}}}[{RATE}])', "failed {{instance}}")], "ops")),
            row("Work",
                ts("Work left in the pass", [(f'sum(strata_compact_todo_compactions{{{SEL}}})', "compactions"),
                                             (f'sum(strata_compact_todo_downsample_blocks{{{SEL}}})', "downsamplings"),
                                             (f'sum(strata_compact_todo_deletion_blocks{{{SEL}}})', "deletions")]),
                ts("Compactions and downsamplings", [(f'sum(rate(strata_compact_group_compactions_total{{{SEL}}}[{RATE}]))', "compactions"),
                                                     (f'sum(rate(strata_compact_group_compactions_failures_total{{{SEL}}}[{RATE}]))', "failed compactions"),
                                                     (f'sum(rate(strata_compact_downsample_total{{{SEL}}}[{RATE}]))', "downsamplings"),
                                                     (f'sum(rate(strata_compact_downsample_failures_total{{{SEL}}}[{RATE}]))', "failed downsamplings")], "ops"),
                ts("Samples compacted", [f'rate(strata_compact_samples_total{{{SEL}}}[{RATE}])'], "ops")),
            row("Marks and deletions",
                ts("Deletion marks by reason", [(f'sum by (reason) (rate(strata_compact_blocks_marked_for_deletion_total{{{SEL}}}[{RATE}]))', "{{reason}}")], "ops"),
                ts("Blocks deleted and partial uploads removed", [(f'sum(rate(strata_compact_blocks_cleaned_total{{{SEL}}}[{RATE}]))', "blocks"),
                                                                  (f'sum(rate(strata_compact_aborted_partial_uploads_deleted_total{{{SEL}}}[{RATE}]))', "partial uploads")], "ops"),
                ts("Quarantined blocks and undecodable chunks", [(f'sum(increase(strata_compact_quarantined_blocks_total{{{SEL}}}[1h]))', "quarantined (1h)"),
                                                                 (f'sum(increase(strata_compact_unsupported_chunks_total{{{SEL}}}[1h]))', "unsupported chunks (1h)")]),
                ts("Lock takeovers", [f'increase(strata_compact_lock_takeovers_total{{{SEL}}}[1h])'])),
            bucket_row(),
        ],
    },
    "sidecar": {
        "title": "Strata / Sidecar",
        "job_metric": "strata_shipper_dir_syncs_total",
        "rows": [
            row("Shipping",
                stat("Since the last clean shipping round", f'time() - strata_shipper_last_successful_upload_time_seconds{{{SEL}}}', "s"),
                reachable_stat(),
                ts("Blocks uploaded and failed", [(f'rate(strata_shipper_uploads_total{{{SEL}}}[{RATE}])', "uploaded {{instance}}"),
                                                  (f'rate(strata_shipper_upload_failures_total{{{SEL}}}[{RATE}])', "failed {{instance}}")], "ops"),
                ts("Shipping rounds and failed rounds", [(f'rate(strata_shipper_dir_syncs_total{{{SEL}}}[{RATE}])', "rounds {{instance}}"),
                                                         (f'rate(strata_shipper_dir_sync_failures_total{{{SEL}}}[{RATE}])', "failed {{instance}}")], "ops")),
            bucket_row(),
        ],
    },
    "store": {
        "title": "Strata / Store gateway",
        "job_metric": "strata_bucket_store_blocks_loaded",
        "rows": [
            row("Blocks",
                stat("Blocks loaded", f'strata_bucket_store_blocks_loaded{{{SEL}}}'),
                reachable_stat(),
                ts("Syncs and failed syncs", [(f'rate(strata_bucket_store_syncs_total{{{SEL}}}[{RATE}])', "syncs {{instance}}"),
                                              (f'rate(strata_bucket_store_sync_failures_total{{{SEL}}}[{RATE}])', "failed {{instance}}")], "ops"),
                ts("Block loads, failures and drops", [(f'sum(rate(strata_bucket_store_block_loads_total{{{SEL}}}[{RATE}]))', "loads"),
                                                       (f'sum(rate(strata_bucket_store_block_load_failures_total{{{SEL}}}[{RATE}]))', "failures"),
                                                       (f'sum(rate(strata_bucket_store_block_drops_total{{{SEL}}}[{RATE}]))', "drops")], "ops")),
            row("Requests",
                ts("Series latency p99 (recorded)", [(f'strata:bucket_store_series_duration_seconds:p99_rate5m{{{SEL}}}', "{{instance}}")], "s"),
                ts("Request latency p50 by method", [(f'histogram_quantile(0.5, sum by (method, le) (rate(strata_bucket_store_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))', "{{method}}")], "s"),
                ts("Requests by method", [(f'sum by (method) (rate(strata_bucket_store_request_duration_seconds_count{{{SEL}}}[{RATE}]))', "{{method}}")], "reqps"),
                ts("Bucket requests per Series call p99", [f'histogram_quantile(0.99, sum by (instance, le) (rate(strata_bucket_store_bucket_requests_per_query_bucket{{{SEL}}}[{RATE}])))'])),
            row("Data fetched",
                ts("Series, chunks and samples fetched", [(f'sum(rate(strata_bucket_store_series_fetched_total{{{SEL}}}[{RATE}]))', "series"),
                                                          (f'sum(rate(strata_bucket_store_chunks_fetched_total{{{SEL}}}[{RATE}]))', "chunks"),
                                                          (f'sum(rate(strata_bucket_store_samples_fetched_total{{{SEL}}}[{RATE}]))', "samples")], "ops"),
                ts("Bytes fetched", [f'rate(strata_bucket_store_bytes_fetched_total{{{SEL}}}[{RATE}])'], "Bps"),
                ts("Limits hit", [(f'sum by (limit) (rate(strata_bucket_store_limit_exceeded_total{{{SEL}}}[{RATE}]))', "{{limit}}")], "ops")),
            row("Index cache",
                ts("Hit ratio by item", [(f'sum by (item_type) (rate(strata_store_index_cache_hits_total{{{SEL}}}[{RATE}])) / sum by (item_type) (rate(strata_store_index_cache_requests_total{{{SEL}}}[{RATE}]))', "{{item_type}}")], "percentunit"),
                ts("Size", [f'strata_store_index_cache_bytes{{{SEL}}}'], "bytes"),
                ts("Items and evictions", [(f'strata_store_index_cache_items{{{SEL}}}', "items {{instance}}"),
                                           (f'rate(strata_store_index_cache_evictions_total{{{SEL}}}[{RATE}])', "evictions/s {{instance}}")])),
            bucket_row(),
        ],
    },
    "query": {
        "title": "Strata / Querier",
        "job_metric": "strata_query_endpoints",
        "rows": [
            row("Endpoints",
                stat("Unhealthy endpoints", f'strata_query_endpoints{{{SEL}}} - strata_query_endpoints_healthy{{{SEL}}}'),
                ts("Endpoints and healthy endpoints", [(f'strata_query_endpoints{{{SEL}}}', "known {{instance}}"),
                                                       (f'strata_query_endpoints_healthy{{{SEL}}}', "healthy {{instance}}")]),
                ts("DNS lookups and failures", [(f'sum(rate(strata_dns_lookups_total{{{SEL}}}[{RATE}]))', "lookups"),
                                                (f'sum(rate(strata_dns_lookup_failures_total{{{SEL}}}[{RATE}]))', "failures")], "ops")),
            row("Requests",
                ts("Requests by handler", [(f'sum by (handler) (rate(strata_query_http_request_duration_seconds_count{{{SEL}}}[{RATE}]))', "{{handler}}")], "reqps"),
                ts("Requests by code", [(f'sum by (code) (rate(strata_query_http_requests_total{{{SEL}}}[{RATE}]))', "{{code}}")], "reqps"),
                ts("Latency p99 (recorded)", [(f'strata:query_http_request_duration_seconds:p99_rate5m{{{SEL}}}', "{{handler}} {{instance}}")], "s"),
                ts("Latency p50", [(f'histogram_quantile(0.5, sum by (handler, le) (rate(strata_query_http_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))', "{{handler}}")], "s")),
            row("Data",
                ts("Series bytes received from endpoints", [f'rate(strata_query_series_received_bytes_total{{{SEL}}}[{RATE}])'], "Bps")),
        ],
    },
    "frontend": {
        "title": "Strata / Query frontend",
        "job_metric": "strata_frontend_split_queries_total",
        "rows": [
            row("Results cache",
                stat("Hit ratio (15m)", f'strata:frontend_cache_hit_ratio:rate15m{{{SEL}}}', "percentunit"),
                ts("Hits and misses", [(f'sum(rate(strata_frontend_cache_hits_total{{{SEL}}}[{RATE}]))', "hits"),
                                       (f'sum(rate(strata_frontend_cache_misses_total{{{SEL}}}[{RATE}]))', "misses")], "ops"),
                ts("Errors by backend", [(f'sum by (backend) (rate(strata_frontend_cache_errors_total{{{SEL}}}[{RATE}]))', "{{backend}}")], "ops"),
                ts("Bytes stored", [f'rate(strata_frontend_cache_stored_bytes_total{{{SEL}}}[{RATE}])'], "Bps")),
            row("Range queries",
                ts("Latency p99 and p50", [(f'histogram_quantile(0.99, sum by (le) (rate(strata_frontend_query_range_duration_seconds_bucket{{{SEL}}}[{RATE}])))', "p99"),
                                           (f'histogram_quantile(0.5, sum by (le) (rate(strata_frontend_query_range_duration_seconds_bucket{{{SEL}}}[{RATE}])))', "p50")], "s"),
                ts("Queries, split parts and shards", [(f'sum(rate(strata_frontend_query_range_duration_seconds_count{{{SEL}}}[{RATE}]))', "queries"),
                                                       (f'sum(rate(strata_frontend_split_queries_total{{{SEL}}}[{RATE}]))', "split parts"),
                                                       (f'sum(rate(strata_frontend_sharded_queries_total{{{SEL}}}[{RATE}]))', "sharded queries")], "ops"),
                ts("Downstream retries", [f'rate(strata_frontend_downstream_retries_total{{{SEL}}}[{RATE}])'], "ops")),
        ],
    },
    "rule": {
        "title": "Strata / Ruler",
        "job_metric": "strata_rule_config_last_reload_successful",
        "rows": [
            row("Rules",
                stat("Last reload successful", f'strata_rule_config_last_reload_successful{{{SEL}}}', "bool_yes_no"),
                ts("Loaded rules by type", [(f'sum by (type) (strata_rule_loaded_rules{{{SEL}}})', "{{type}}")]),
                ts("Evaluations and failures", [(f'sum(rate(prometheus_rule_evaluations_total{{{SEL}}}[{RATE}]))', "evaluations"),
                                                (f'sum(rate(prometheus_rule_evaluation_failures_total{{{SEL}}}[{RATE}]))', "failures"),
                                                (f'sum(rate(strata_rule_evaluation_with_warnings_total{{{SEL}}}[{RATE}]))', "with warnings")], "ops")),
            row("Groups",
                ts("Failures by group", [(f'sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total{{{SEL}}}[{RATE}]))', "{{rule_group}}")], "ops"),
                ts("Missed iterations by group", [(f'sum by (rule_group) (increase(prometheus_rule_group_iterations_missed_total{{{SEL}}}[{RATE}]))', "{{rule_group}}")]),
                ts("Last duration / interval by group", [(f'max by (rule_group) (prometheus_rule_group_last_duration_seconds{{{SEL}}} / prometheus_rule_group_interval_seconds{{{SEL}}})', "{{rule_group}}")], "percentunit"),
                ts("Samples written by group", [(f'sum by (rule_group) (prometheus_rule_group_last_evaluation_samples{{{SEL}}})', "{{rule_group}}")])),
            row("Writes",
                ts("Append failures and rejected samples", [(f'sum(rate(strata_rule_append_failures_total{{{SEL}}}[{RATE}]))', "append failures"),
                                                            (f'sum(rate(strata_rule_rejected_samples_total{{{SEL}}}[{RATE}]))', "rejected samples")], "ops"),
                ts("Head series", [f'strata_tsdb_head_series{{{SEL}}}'])),
        ],
    },
    "receive": {
        "title": "Strata / Receiver",
        "job_metric": "strata_receive_inflight_request_bytes",
        "rows": [
            row("Requests",
                ts("Requests", [f'rate(strata_receive_request_duration_seconds_count{{{SEL}}}[{RATE}])'], "reqps"),
                ts("Latency p99", [f'histogram_quantile(0.99, sum by (instance, le) (rate(strata_receive_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))'], "s"),
                ts("Refused requests by reason", [(f'sum by (reason) (rate(strata_receive_requests_refused_total{{{SEL}}}[{RATE}]))', "{{reason}}")], "reqps"),
                ts("Bytes in flight", [f'strata_receive_inflight_request_bytes{{{SEL}}}'], "bytes")),
            row("Samples",
                ts("Received and appended by tenant", [(f'sum by (tenant) (rate(strata_receive_samples_received_total{{{SEL}}}[{RATE}]))', "received {{tenant}}"),
                                                       (f'sum by (tenant) (rate(strata_receive_samples_appended_total{{{SEL}}}[{RATE}]))', "appended {{tenant}}")], "ops"),
                ts("Rejected by reason", [(f'sum by (reason) (rate(strata_receive_samples_rejected_total{{{SEL}}}[{RATE}]))', "{{reason}}")], "ops"),
                ts("Rejected ratio (recorded)", [(f'strata:receive_samples_rejected:ratio_rate5m{{{SEL}}}', "{{instance}}")], "percentunit"),
                ts("Head series", [f'strata_tsdb_head_series{{{SEL}}}'])),
            row("Hashring",
                ts("Forwarded batches by result", [(f'sum by (result) (rate(strata_receive_forward_requests_total{{{SEL}}}[{RATE}]))', "{{result}}")], "ops"),
                ts("Replications by result", [(f'sum by (result) (rate(strata_receive_replications_total{{{SEL}}}[{RATE}]))', "{{result}}")], "ops"),
                ts("Hashring nodes", [f'strata_receive_hashring_nodes{{{SEL}}}'])),
        ],
    },
}


def variables(job_metric):
    ds = {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source",
          "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []}
    if job_metric is None:
        return [ds]

    def query_var(name, query):
        return {"name": name, "type": "query", "label": name, "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "query": {"query": query, "refId": f"{name}-query"}, "definition": query,
                "includeAll": True, "multi": True, "allValue": ".*", "current": {}, "hide": 0, "refresh": 2,
                "regex": "", "sort": 1, "options": []}
    return [ds,
            query_var("job", f"label_values({job_metric}, job)"),
            query_var("instance", f'label_values({job_metric}{{job=~"$job"}}, instance)')]


def panel(p, pid, x, y, w, h):
    datasource = {"type": "prometheus", "uid": "${datasource}"}
    out = {"id": pid, "type": p["type"], "title": p["title"], "datasource": datasource,
           "gridPos": {"x": x, "y": y, "w": w, "h": h},
           "fieldConfig": {"defaults": {"unit": p["unit"]}, "overrides": []},
           "targets": [{"datasource": datasource, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i)}
                       for i, (expr, legend) in enumerate(p["targets"])]}
    if p["type"] == "timeseries":
        out["fieldConfig"]["defaults"]["custom"] = {"stacking": {"mode": "normal" if p["stack"] else "none"}}
        out["options"] = {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}
    else:
        out["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value"}
    return out


def dashboard(key, spec):
    panels, pid, y = [], 1, 0
    for r in spec["rows"]:
        panels.append({"id": pid, "type": "row", "title": r["row"], "collapsed": False,
                       "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []})
        pid, y = pid + 1, y + 1
        # Stats share a narrow column; time series split the rest of the row evenly.
        stats = [p for p in r["panels"] if p["type"] == "stat"]
        series = [p for p in r["panels"] if p["type"] == "timeseries"]
        x = 0
        for i, p in enumerate(stats):
            w = 24 // len(stats) if not series else 4
            h = 8 if not series else max(2, 8 // len(stats))
            sy = y if not series else y + i * h
            panels.append(panel(p, pid, x if not series else 0, sy, w, h))
            pid += 1
            if not series:
                x += w
        if series:
            left = 4 if stats else 0
            w = (24 - left) // len(series)
            for i, p in enumerate(series):
                panels.append(panel(p, pid, left + i * w, y, w, 8))
                pid += 1
        y += 8
    return {
        "uid": f"strata-{key}", "title": spec["title"], "tags": ["strata"], "editable": True,
        "schemaVersion": 39, "version": 1, "timezone": "", "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"}, "graphTooltip": 1,
        "annotations": {"list": []},
        "links": [{"title": "Strata", "type": "dashboards", "tags": ["strata"], "asDropdown": True}],
        "templating": {"list": variables(spec.get("job_metric") if spec.get("variables", True) else None)},
        "panels": panels,
    }


def render():
    return {f"{key}.json": json.dumps(dashboard(key, spec), indent=2, sort_keys=True) + "\n" for key, spec in DASHBOARDS.items()}


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    files = render()
    for name, text in files.items():
        path = os.path.join(OUT, name)
        current = open(path).read() if os.path.exists(path) else None
        if current != text:
            stale.append(name)
            if not check:
                os.makedirs(OUT, exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
    extra = sorted(set(os.listdir(OUT)) - set(files)) if os.path.isdir(OUT) else []
    if check and (stale or extra):
        print("dashboards out of date (run deploy/monitoring/dashboards.py): " + ", ".join(stale + extra), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
