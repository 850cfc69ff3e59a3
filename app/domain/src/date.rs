//! Calendar dates in China time (UTC+8, no daylight saving), without a date library.

/// Milliseconds in China time's offset from UTC.
pub const CHINA_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// (year, month, day) of a UTC unix-millisecond instant, in China time.
pub fn china_date(utc_ms: i64) -> (i32, u32, u32) {
    let days = (utc_ms + CHINA_OFFSET_MS).div_euclid(86_400_000);
    civil_from_days(days)
}

/// Parses YYYY-MM-DD, checking that the day exists.
pub fn parse_date(text: &str) -> Option<(i32, u32, u32)> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1900..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some((y, m, d))
}

pub fn format_date((y, m, d): (i32, u32, u32)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days in month `m` of year `y` (Gregorian).
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's days-to-civil algorithm.
/// (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utc_evening_is_already_the_next_day_in_china() {
        // 2026-12-31T16:30:00Z is 2027-01-01 00:30 in China.
        assert_eq!(china_date(1_798_734_600_000), (2027, 1, 1));
        assert_eq!(china_date(0), (1970, 1, 1));
    }

    #[test]
    fn dates_are_checked() {
        assert_eq!(parse_date("2026-02-28"), Some((2026, 2, 28)));
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2026-02-29"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(format_date((2026, 3, 9)), "2026-03-09");
    }
}

/// "2026-11-30 14:05" in China time.
pub fn format_china_datetime(utc_ms: i64) -> String {
    let (y, m, d) = china_date(utc_ms);
    let minutes = (utc_ms + CHINA_OFFSET_MS).rem_euclid(86_400_000) / 60_000;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod datetime_tests {
    #[test]
    fn formats_in_china_time() {
        assert_eq!(
            super::format_china_datetime(1_798_734_600_000),
            "2027-01-01 00:30"
        );
    }
}
