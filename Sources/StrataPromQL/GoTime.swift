/// Calendar fields of a Unix time exactly as Go's time package derives them
/// (`time.Unix(sec, 0).UTC()`), including its wrapping arithmetic for timestamps far outside
/// any calendar (e.g. `day_of_year(NaN)`, where Go's float-to-int conversion yields
/// math.MinInt64). For ordinary times this is plain proleptic Gregorian UTC.
struct GoTime {
    static let secondsPerDay: UInt64 = 86400
    static let daysPer400Years: UInt64 = 365 * 400 + 97
    static let daysPer100Years: UInt64 = 365 * 100 + 24
    static let daysPer4Years: UInt64 = 365 * 4 + 1
    static let absoluteZeroYear: Int64 = -292_277_022_399
    static let unixToInternal: Int64 = (1969 * 365 + 1969 / 4 - 1969 / 100 + 1969 / 400) * 86400
    /// -absoluteToInternal, with absoluteToInternal = (absoluteZeroYear - 1) * 365.2425 days.
    static let internalToAbsolute: Int64 = 9_223_371_966_579_724_800
    static let daysBefore: [Int] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]

    let abs: UInt64

    init(unixSeconds sec: Int64) {
        abs = UInt64(bitPattern: sec &+ (GoTime.unixToInternal &+ GoTime.internalToAbsolute))
    }

    static func isLeap(_ y: Int64) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    /// (year, month 1-12, day 1-31, yday 0-365), Go's absDate.
    var date: (year: Int64, month: Int, day: Int, yday: Int) {
        var d = abs / GoTime.secondsPerDay
        var n = d / GoTime.daysPer400Years
        var y = 400 &* n
        d -= GoTime.daysPer400Years * n
        n = d / GoTime.daysPer100Years
        n -= n >> 2
        y &+= 100 &* n
        d -= GoTime.daysPer100Years * n
        n = d / GoTime.daysPer4Years
        y &+= 4 &* n
        d -= GoTime.daysPer4Years * n
        n = d / 365
        n -= n >> 2
        y &+= n
        d -= 365 * n
        let year = Int64(bitPattern: y) &+ GoTime.absoluteZeroYear
        let yday = Int(d)
        var day = yday
        if GoTime.isLeap(year) {
            if day > 31 + 29 - 1 {
                day -= 1
            } else if day == 31 + 29 - 1 {
                return (year, 2, 29, yday)
            }
        }
        var month = day / 31
        let end = GoTime.daysBefore[month + 1]
        let begin: Int
        if day >= end {
            month += 1
            begin = end
        } else {
            begin = GoTime.daysBefore[month]
        }
        month += 1
        return (year, month, day - begin + 1, yday)
    }

    var weekday: Int { Int((abs &+ 86400) % (7 * 86400)) / 86400 }
    var hour: Int { Int(abs % 86400) / 3600 }
    var minute: Int { Int(abs % 3600) / 60 }

    var daysInMonth: Int {
        let (year, month, _, _) = date
        if month == 2 { return GoTime.isLeap(year) ? 29 : 28 }
        return GoTime.daysBefore[month] - GoTime.daysBefore[month - 1]
    }
}
