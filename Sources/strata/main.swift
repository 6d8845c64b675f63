import StrataCore
import StrataTools

// Library log lines (object storage retries, skipped blocks) go to stderr, never into a
// command's output (`-o json` must stay parseable).
try? StrataLogHandler.bootstrap(level: "info", format: "logfmt")
StrataCommand.main()
