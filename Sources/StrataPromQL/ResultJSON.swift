import StrataCore

/// Query results in the Prometheus HTTP API's JSON shape, byte-compatible with what
/// Prometheus 2.42 writes (timestamps as seconds with millisecond fraction, values as
/// jsonutil.MarshalFloat writes them), so the querier and the tools share one encoder.
public enum ResultJSON {
    /// `{"status":"success","data":{"resultType":...,"result":...}}`.
    public static func success(_ result: QueryResult) -> String {
        "{\"status\":\"success\",\"data\":" + data(result) + "}"
    }

    /// `{"resultType":...,"result":...}`.
    public static func data(_ result: QueryResult) -> String {
        var out = "{\"resultType\":\"\(result.resultType)\",\"result\":"
        switch result {
        case .scalar(let t, let v):
            out += point(t, v)
        case .string(let t, let s):
            out += "[" + timestamp(t) + "," + jsonString(s) + "]"
        case .vector(let samples):
            out += "["
            for (i, s) in samples.enumerated() {
                if i > 0 { out += "," }
                out += "{\"metric\":" + metric(s.labels) + ",\"value\":" + point(s.t, s.v) + "}"
            }
            out += "]"
        case .matrix(let series):
            out += "["
            for (i, s) in series.enumerated() {
                if i > 0 { out += "," }
                out += "{\"metric\":" + metric(s.labels) + ",\"values\":["
                for (j, p) in s.points.enumerated() {
                    if j > 0 { out += "," }
                    out += point(p.t, p.v)
                }
                out += "]}"
            }
            out += "]"
        }
        return out + "}"
    }

    /// `{"status":"error","errorType":...,"error":...}`.
    public static func error(type: String, message: String) -> String {
        "{\"status\":\"error\",\"errorType\":" + jsonString(type) + ",\"error\":" + jsonString(message) + "}"
    }

    public static func metric(_ labels: Labels) -> String {
        var out = "{"
        for (i, p) in labels.pairs.enumerated() {
            if i > 0 { out += "," }
            out += jsonString(p.name) + ":" + jsonString(p.value)
        }
        return out + "}"
    }

    public static func point(_ t: Int64, _ v: Double) -> String {
        "[" + timestamp(t) + ",\"" + formatAPIFloat(v) + "\"]"
    }

    /// Milliseconds as seconds, the way Prometheus's jsonutil.MarshalTimestamp writes them
    /// (`1.5` seconds is `1.500`, whole seconds have no fraction).
    public static func timestamp(_ ms: Int64) -> String {
        var out = ""
        var t = ms
        if t < 0 {
            out = "-"
            t = -t
        }
        out += String(t / 1000)
        let frac = t % 1000
        if frac != 0 {
            out += "."
            if frac < 100 { out += "0" }
            if frac < 10 { out += "0" }
            out += String(frac)
        }
        return out
    }
}
