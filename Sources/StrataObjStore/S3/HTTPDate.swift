import Foundation
import StrataCore

/// Parses RFC 1123 dates (`Wed, 21 Oct 2015 07:28:00 GMT`) from `Last-Modified` without a
/// DateFormatter (not Sendable, locale-sensitive).
enum HTTPDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ s: String) -> Date? {
        let parts = s.split(separator: " ")
        guard parts.count >= 5,
              let day = Int(parts[1]),
              let mIdx = months.firstIndex(of: parts[2].lowercased()),
              let year = Int(parts[3]) else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 else { return nil }
        let days = daysFromCivil(year, mIdx + 1, day)
        let secs = Int64(days) * 86400 + Int64(hms[0] * 3600 + hms[1] * 60 + hms[2])
        return Date(timeIntervalSince1970: TimeInterval(secs))
    }
}
