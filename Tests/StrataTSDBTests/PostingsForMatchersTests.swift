import Foundation
import StrataTestSupport
import Testing
import StrataCore
@testable import StrataTSDB

/// The one postings-for-matchers algorithm, over a source with no file behind it, against
/// the brute-force answer: the series whose label sets the matchers accept.
@Suite struct PostingsForMatchersTests {
    /// Label sets by series ID; postings built from them, like an index.
    struct Source: PostingsSource {
        var series: [UInt32: Labels]
        var lists: [String: [String: [UInt32]]] = [:]

        init(_ series: [UInt32: Labels]) {
            self.series = series
            for (id, ls) in series.sorted(by: { $0.key < $1.key }) {
                lists["", default: [:]]["", default: []].append(id)
                for l in ls.pairs { lists[l.name, default: [:]][l.value, default: []].append(id) }
            }
        }

        func labelValues(_ name: String) -> [String] { (lists[name] ?? [:]).keys.sorted(by: bytewiseLess) }
        func postingsList(_ name: String, _ value: String) -> String? { lists[name]?[value] == nil ? nil : name + "=" + value }
        func read(_ ref: String) -> [UInt32] {
            let eq = ref.firstIndex(of: "=")!
            return lists[String(ref[..<eq])]![String(ref[ref.index(after: eq)...])]!
        }
    }

    let source = Source([
        1: Labels(["__name__": "up", "job": "api", "env": "prod"]),
        2: Labels(["__name__": "up", "job": "db"]),
        3: Labels(["__name__": "up", "job": "api", "env": "dev"]),
        4: Labels(["__name__": "errors", "job": "db", "env": "prod"]),
        5: Labels(["__name__": "errors"]),
    ])

    func select(_ ms: [Matcher]) -> [UInt32] {
        PostingsForMatchers.plan(ms, in: source).result(source.read)
    }

    func bruteForce(_ ms: [Matcher]) -> [UInt32] {
        source.series.keys.sorted().filter { id in ms.allSatisfy { $0.matches(source.series[id]![$0.name]) } }
    }

    @Test func agreesWithBruteForce() throws {
        let cases: [[Matcher]] = [
            [try Matcher(.equal, "job", "api")],
            [try Matcher(.equal, "job", "nope")],
            [try Matcher(.notEqual, "env", "prod")],
            [try Matcher(.equal, "__name__", "up"), try Matcher(.notEqual, "env", "prod")],
            [try Matcher(.regexMatch, "job", "api|db")],
            [try Matcher(.regexMatch, "job", "a.*")],
            [try Matcher(.regexMatch, "env", "prod|")],
            [try Matcher(.regexNoMatch, "job", "db")],
            [try Matcher(.regexNoMatch, "env", ".+")],
            [try Matcher(.notEqual, "env", "")],
            [try Matcher(.equal, "env", "")],
            [try Matcher(.equal, "__name__", "up"), try Matcher(.regexMatch, "job", "api|db"), try Matcher(.notEqual, "env", "dev")],
            [try Matcher(.regexMatch, "job", ".*")],
            [try Matcher(.equal, "job", "api"), try Matcher(.notEqual, "job", "api")],
            [try Matcher(.regexMatch, "job", "x|api|"), try Matcher(.regexMatch, "job", "api|db")],
        ]
        for ms in cases { #expect(select(ms) == bruteForce(ms), "\(ms)") }
    }

    @Test func noPositiveMatcherStartsFromAllPostings() throws {
        #expect(select([]) == [1, 2, 3, 4, 5])
        #expect(select([try Matcher(.notEqual, "job", "db")]) == [1, 3, 5])
    }

    @Test func aMatcherSelectingNoValueReadsNothing() throws {
        let plan = PostingsForMatchers.plan([try Matcher(.notEqual, "env", "dev"), try Matcher(.equal, "job", "nope")], in: source)
        #expect(plan.isEmpty && plan.lists.isEmpty)
        #expect(plan.result { _ in Issue.record("read a list"); return [] } == [])
    }

    @Test func listsAreReadOnceEachAndLazily() throws {
        let plan = PostingsForMatchers.plan([try Matcher(.regexMatch, "job", "api|db"), try Matcher(.equal, "job", "api")], in: source)
        #expect(plan.lists == ["job=api", "job=db"])
        // An empty intersection stops the reading: the second matcher's list is never asked for.
        var asked: [String] = []
        _ = plan.result { asked.append($0); return [] }
        #expect(asked == ["job=api", "job=db"])
    }
}

/// The shared decoders on bytes the writer produced, read as slices the way ranged reads see them.
@Suite struct IndexDecodingTests {
    @Test func seriesEntryNeedsTheWholeRecord() throws {
        let parent = TestEnv.tempDir("decode")
        let w = try BlockWriter(parentDir: parent, minTime: 0, maxTime: 7_200_000)
        try w.add(Labels(["__name__": "m", "i": "1"]), timestamps: [1, 2, 3], values: [1, 2, 3])
        let meta = try w.commit()
        let idx = try IndexReader(path: parent + "/" + meta.ulid.description + "/index")
        let ref = try idx.allPostings()[0]
        let bytes = Array(UnsafeRawBufferPointer(rebasing: idx.file.buffer[(Int(ref) * 16)...]))
        var chunks: [ChunkMeta] = []
        let whole = try bytes.withUnsafeBytes {
            try SeriesEntry.decode($0, at: 0, base: Int(ref) * 16, symbols: idx.symbols, path: "x", chunks: &chunks)
        }
        #expect(whole == Labels(["__name__": "m", "i": "1"]) && chunks.count == 1)
        let (start, len) = try #require(bytes.withUnsafeBytes { IndexSection.recordLength($0, at: 0) })
        for cut in [0, 1, start + len, start + len + 3] {
            let part = try bytes.prefix(cut).withUnsafeBytes {
                try SeriesEntry.decode($0, at: 0, base: Int(ref) * 16, symbols: idx.symbols, path: "x", chunks: &chunks)
            }
            #expect(part == nil, "cut at \(cut)")
        }
        var bad = bytes
        bad[start] ^= 0xFF
        #expect(throws: TSDBError.self) {
            try bad.withUnsafeBytes { try SeriesEntry.decode($0, at: 0, base: Int(ref) * 16, symbols: idx.symbols, path: "x", chunks: &chunks) }
        }
    }

    @Test func labelIndicesDecodeToTheValues() throws {
        let parent = TestEnv.tempDir("decode")
        let w = try BlockWriter(parentDir: parent, minTime: 0, maxTime: 7_200_000)
        for j in ["a", "b"] { try w.add(Labels(["__name__": "m", "j": j]), timestamps: [1], values: [1]) }
        let meta = try w.commit()
        let idx = try IndexReader(path: parent + "/" + meta.ulid.description + "/index")
        let buf = idx.file.buffer
        let table = try LabelIndexTable.decode(
            try IndexSection.body(buf, at: Int(idx.toc.labelIndicesTable), path: idx.path, what: "label offset table"), path: idx.path)
        #expect(table.map(\.names) == [["__name__"], ["j"]])
        for e in table {
            let entries = try LabelIndexTable.entries(try IndexSection.body(buf, at: e.offset, path: idx.path, what: "label index"),
                                                      symbols: idx.symbols, path: idx.path)
            #expect(entries.map { $0[0] } == idx.labelValues(e.names[0]))
        }
    }
}
