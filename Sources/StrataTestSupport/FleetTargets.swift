import Foundation

/// What a Prometheus scrapes and evaluates in the tests of the Targets, Metadata, Exemplars
/// and Rules APIs: Debian's node exporter, a target exposing exemplars, and a rule file with
/// recording and alerting rules, one of which always fires.
public enum FleetTargets {
    /// `prometheus-node-exporter` on a free 127.0.0.1 port; nil outside CI when missing.
    public static func nodeExporter() async throws -> CacheServer? {
        try await CacheServer.start("prometheus-node-exporter", hint: "apt-get install prometheus-node-exporter") { port in
            ["--web.listen-address=127.0.0.1:\(port)"]
        }
    }

    /// A target (python3's http.server) answering every scrape with `text`, Prometheus's text
    /// format: values that never change, so answers read at different moments compare equal.
    public static func staticTarget(_ text: String) async throws -> CacheServer? {
        let script = """
            import http.server, sys
            body = sys.argv[2].encode()
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200)
                    self.send_header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *a):
                    pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """
        return try await CacheServer.start("python3", hint: "python3") { port in ["-c", script, "\(port)", text] }
    }

    /// A tiny OpenMetrics target (python3's http.server): a counter whose sample carries an
    /// exemplar with its own timestamp, and a histogram bucket whose exemplar has none (stored
    /// at the scrape time). Prometheus asks for OpenMetrics and keeps exemplars only with
    /// `--enable-feature=exemplar-storage`.
    public static func exemplarTarget() async throws -> CacheServer? {
        let script = """
            import http.server, sys, time
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    n = int(time.time())
                    body = ('# HELP demo_requests Requests handled.\\n# TYPE demo_requests counter\\n'
                            'demo_requests_total{path="/a"} %d # {trace_id="t%d"} 1.5 %d.5\\n'
                            '# HELP demo_latency_seconds Request latency.\\n# TYPE demo_latency_seconds histogram\\n'
                            'demo_latency_seconds_bucket{le="0.1"} 1 # {trace_id="h%d",span_id="s"} 0.05\\n'
                            'demo_latency_seconds_bucket{le="+Inf"} 2\\ndemo_latency_seconds_sum 0.3\\ndemo_latency_seconds_count 2\\n'
                            '# EOF\\n') % (n, n, n, n)
                    b = body.encode()
                    self.send_response(200)
                    self.send_header('Content-Type', 'application/openmetrics-text; version=1.0.0; charset=utf-8')
                    self.send_header('Content-Length', str(len(b)))
                    self.end_headers()
                    self.wfile.write(b)
                def log_message(self, *a):
                    pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """
        return try await CacheServer.start("python3", hint: "python3") { port in ["-c", script, "\(port)"] }
    }

    /// A rule file: one group with a recording rule, an alert that always fires and one that
    /// never does (with a hold duration). Returns its path.
    public static func ruleFile() throws -> String {
        let path = TestEnv.tempDir("fleet-rules") + "/rules.yml"
        try """
            groups:
              - name: demo
                rules:
                  - record: job:up:sum
                    expr: sum by (job) (up)
                    labels: {source: rule}
                  - alert: AlwaysFiring
                    expr: vector(1) > 0
                    labels: {severity: page}
                    annotations: {summary: "always {{ $value }}"}
                  - alert: NeverFiring
                    expr: vector(0) > 1
                    for: 5m
              - name: records
                rules:
                  - record: demo:requests:rate1m
                    expr: rate(demo_requests_total[1m])

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A scrape job whose only target relabelling drops: a dropped target in `/api/v1/targets`.
    public static let droppedJob = "{job_name: dropme, static_configs: [{targets: ['127.0.0.1:1']}], relabel_configs: [{action: drop, source_labels: [__address__], regex: '127.0.0.1:1'}]}"
}
