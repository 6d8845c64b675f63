import Foundation
import StrataCore
import Yams

/// Store endpoints from file service discovery (`--store.sd-files`), in Prometheus's file_sd
/// format as Thanos reads it: a YAML or JSON list of `{targets: ["host:port", ...]}` groups
/// (labels are accepted and ignored).
public enum FileSD {
    public static func targets(in text: String, file: String) throws -> [String] {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw ConfigError("\(file): not YAML or JSON: \(error)")
        }
        guard let root else { return [] }
        guard let groups = root as? [Any] else {
            throw ConfigError("\(file): expected a list of target groups ({targets: [host:port, ...]})")
        }
        var out: [String] = []
        for (i, g) in groups.enumerated() {
            guard let group = g as? [String: Any] else { throw ConfigError("\(file): group \(i + 1) is not a mapping") }
            for key in group.keys where key != "targets" && key != "labels" {
                throw ConfigError("\(file): group \(i + 1): unknown field \"\(key)\"")
            }
            guard let targets = group["targets"] as? [Any] else {
                throw ConfigError("\(file): group \(i + 1) has no targets list")
            }
            for t in targets {
                guard let s = t as? String, !s.isEmpty else { throw ConfigError("\(file): group \(i + 1): a target is not a string") }
                out.append(s)
            }
        }
        return out
    }

    /// Targets of every file matching `patterns` (a path, or a glob in the last component).
    public static func targets(patterns: [String]) throws -> [String] {
        var out: [String] = []
        for file in try files(matching: patterns) {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            out += try targets(in: text, file: file)
        }
        return out
    }

    static func files(matching patterns: [String]) throws -> [String] {
        var out: [String] = []
        for p in patterns {
            let url = URL(fileURLWithPath: p)
            let name = url.lastPathComponent
            guard name.contains("*") || name.contains("?") else {
                out.append(p)
                continue
            }
            let dir = url.deletingLastPathComponent().path
            for entry in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where fnmatch(name, entry, 0) == 0 {
                out.append(dir + "/" + entry)
            }
        }
        return out
    }
}
