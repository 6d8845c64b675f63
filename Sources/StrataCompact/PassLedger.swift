import Foundation
import StrataCore
import StrataTSDB

/// The running account of a pass, shared by its concurrent group jobs: the report, the
/// `todo` gauges, and a one-line progress bar on stderr when it is a terminal.
actor PassLedger {
    private(set) var report = PassReport()
    private let metrics: CompactorMetrics
    private let showProgress: Bool
    private var todo = (compactions: 0, downsamplings: 0, deletions: 0)
    private var done = (compactions: 0, downsamplings: 0, deletions: 0)

    init(metrics: CompactorMetrics, showProgress: Bool = isatty(STDERR_FILENO) == 1) {
        self.metrics = metrics
        self.showProgress = showProgress
    }

    func planned(compactions: Int? = nil, downsamplings: Int? = nil, deletions: Int? = nil) {
        if let compactions { todo.compactions = done.compactions + compactions }
        if let downsamplings { todo.downsamplings = done.downsamplings + downsamplings }
        if let deletions { todo.deletions = done.deletions + deletions }
        publish()
    }

    func compacted(samples: UInt64) {
        report.compactions += 1
        report.samplesCompacted += samples
        done.compactions += 1
        todo.compactions = max(todo.compactions, done.compactions)
        metrics.compactions.increment()
        metrics.samplesCompacted.increment(by: Int64(samples))
        publish()
    }

    func downsampled() {
        report.downsamplings += 1
        done.downsamplings += 1
        todo.downsamplings = max(todo.downsamplings, done.downsamplings)
        metrics.downsamples.increment()
        publish()
    }

    func markedForDeletion(reason: String) {
        report.markedForDeletion += 1
        metrics.markedForDeletion[reason]?.increment()
    }

    func deleted() {
        report.deleted += 1
        done.deletions += 1
        todo.deletions = max(todo.deletions, done.deletions)
        metrics.deleted.increment()
        publish()
    }

    func partialRemoved() {
        report.partialsRemoved += 1
        metrics.partialsRemoved.increment()
    }

    func quarantined(_ id: ULID, _ why: String) {
        guard report.quarantined[id] == nil else { return }
        report.quarantined[id] = why
        metrics.quarantined.increment()
    }

    func unsupported(chunks n: Int) {
        report.unsupportedChunks += n
        metrics.unsupportedChunks.increment(by: Int64(n))
    }

    func notDownsampled(_ id: ULID, _ why: String) {
        report.notDownsampled[id] = why
    }

    func failed(_ what: String, compaction: Bool) {
        report.failures.append(what)
        (compaction ? metrics.compactionFailures : metrics.downsampleFailures).increment()
    }

    /// Ends the progress line so log lines that follow start on their own.
    func finish() {
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func publish() {
        metrics.todoCompactions.record(todo.compactions - done.compactions)
        metrics.todoDownsamples.record(todo.downsamplings - done.downsamplings)
        metrics.todoDeletions.record(todo.deletions - done.deletions)
        guard showProgress else { return }
        let line = "\r\u{1B}[2K" + Self.bar(done.compactions, todo.compactions) + " compactions " + "\(done.compactions)/\(todo.compactions)"
            + "  downsamplings \(done.downsamplings)/\(todo.downsamplings)  deletions \(done.deletions)/\(todo.deletions)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func bar(_ done: Int, _ total: Int, width: Int = 20) -> String {
        let filled = total == 0 ? width : min(width, done * width / total)
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
}
