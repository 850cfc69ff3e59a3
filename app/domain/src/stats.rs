//! Statistics arithmetic shared by the server and the statistics page:
//! reporting periods in China time, the same period a year earlier, the
//! year-on-year change as published (one decimal, "new" after a zero), the
//! median, and which follow-ups were done on time.

use serde::{Deserialize, Serialize};

use crate::date::{days_in_month, format_date, parse_date, CHINA_OFFSET_MS};

const DAY_MS: i64 = 86_400_000;

/// A calendar date (year, month, day).
pub type Date = (i32, u32, u32);

/// A reporting period: whole days in China time, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the year must be between 1900 and 9998")]
    Year,
    #[error("the quarter must be 1 to 4")]
    Quarter,
    #[error("the month must be 1 to 12")]
    Month,
    #[error("give a quarter or a month, not both")]
    QuarterAndMonth,
    #[error("dates are YYYY-MM-DD")]
    Date,
    #[error("the period ends before it starts")]
    Reversed,
    #[error("a period is at most ten years")]
    TooLong,
    #[error("give a year (with a quarter or month) or from and to")]
    Missing,
}

impl Period {
    pub fn year(year: i32) -> Result<Period, PeriodError> {
        check_year(year)?;
        Ok(Period {
            from: (year, 1, 1),
            to: (year, 12, 31),
        })
    }

    pub fn quarter(year: i32, quarter: u32) -> Result<Period, PeriodError> {
        check_year(year)?;
        if !(1..=4).contains(&quarter) {
            return Err(PeriodError::Quarter);
        }
        let first = quarter * 3 - 2;
        let last = quarter * 3;
        Ok(Period {
            from: (year, first, 1),
            to: (year, last, days_in_month(year, last)),
        })
    }

    pub fn month(year: i32, month: u32) -> Result<Period, PeriodError> {
        check_year(year)?;
        if !(1..=12).contains(&month) {
            return Err(PeriodError::Month);
        }
        Ok(Period {
            from: (year, month, 1),
            to: (year, month, days_in_month(year, month)),
        })
    }

    /// From one date to another, both included (YYYY-MM-DD).
    pub fn range(from: &str, to: &str) -> Result<Period, PeriodError> {
        let from = parse_date(from).ok_or(PeriodError::Date)?;
        let to = parse_date(to).ok_or(PeriodError::Date)?;
        check_year(from.0)?;
        check_year(to.0)?;
        if to < from {
            return Err(PeriodError::Reversed);
        }
        if to.0 - from.0 > 10 {
            return Err(PeriodError::TooLong);
        }
        Ok(Period { from, to })
    }

    /// The period named by a query: `year` (+ `quarter` or `month`), or `from` and `to`.
    pub fn from_query(
        year: Option<i32>,
        quarter: Option<u32>,
        month: Option<u32>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Period, PeriodError> {
        match (year, quarter, month, from, to) {
            (Some(_), Some(_), Some(_), _, _) => Err(PeriodError::QuarterAndMonth),
            (Some(y), Some(q), None, None, None) => Period::quarter(y, q),
            (Some(y), None, Some(m), None, None) => Period::month(y, m),
            (Some(y), None, None, None, None) => Period::year(y),
            (None, None, None, Some(f), Some(t)) => Period::range(f, t),
            _ => Err(PeriodError::Missing),
        }
    }

    /// The same days a year earlier. A period ending on the last day of a
    /// month ends on that month's last day (29 February 2024 ↔ 28 February
    /// 2025 both close February); 29 February elsewhere becomes the 28th.
    pub fn previous_year(&self) -> Period {
        let back = |(y, m, d): Date, month_end: bool| -> Date {
            let last = days_in_month(y - 1, m);
            if month_end {
                (y - 1, m, last)
            } else {
                (y - 1, m, d.min(last))
            }
        };
        let (ty, tm, td) = self.to;
        Period {
            from: back(self.from, false),
            to: back(self.to, td == days_in_month(ty, tm)),
        }
    }

    /// UTC ms of the first instant of the period (China midnight).
    pub fn start_ms(&self) -> i64 {
        china_midnight_ms(self.from)
    }

    /// UTC ms just after the period: the next China midnight (exclusive).
    pub fn end_ms(&self) -> i64 {
        china_midnight_ms(self.to) + DAY_MS
    }

    pub fn from_text(&self) -> String {
        format_date(self.from)
    }

    pub fn to_text(&self) -> String {
        format_date(self.to)
    }
}

fn check_year(year: i32) -> Result<(), PeriodError> {
    if (1900..=9998).contains(&year) {
        Ok(())
    } else {
        Err(PeriodError::Year)
    }
}

// Howard Hinnant's days-from-civil algorithm.
/// Days since 1970-01-01 of a calendar date.
pub fn days_from_civil((y, m, d): Date) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// UTC ms of midnight at the start of `date` in China time.
pub fn china_midnight_ms(date: Date) -> i64 {
    days_from_civil(date) * DAY_MS - CHINA_OFFSET_MS
}

/// The change of a figure against the year before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The previous figure was zero and this one is not.
    New,
    /// In tenths of a percent, rounded half away from zero: 125 is +12.5 %.
    Tenths(i64),
}

/// The year-on-year change from `previous` to `current`. Both zero is no
/// change (0.0 %), not "new".
pub fn change(current: i64, previous: i64) -> Change {
    if previous == 0 {
        return if current == 0 {
            Change::Tenths(0)
        } else {
            Change::New
        };
    }
    let diff = i128::from(current) - i128::from(previous);
    let prev = i128::from(previous).abs();
    // Tenths of a percent = diff * 1000 / prev, rounded half away from zero.
    let scaled = diff * 1000;
    let rounded = if scaled >= 0 {
        (scaled + prev / 2) / prev
    } else {
        -((-scaled + prev / 2) / prev)
    };
    Change::Tenths(i64::try_from(rounded).unwrap_or(i64::MAX))
}

impl Change {
    /// "new", or the percentage with a sign and one decimal: "+12.5%",
    /// "-100.0%", "0.0%". The page translates "new".
    pub fn text(self) -> String {
        match self {
            Change::New => "new".into(),
            Change::Tenths(t) => format!("{}%", tenths_text(t, t != 0)),
        }
    }
}

/// A number kept in tenths, as text with one decimal ("12.5", "-0.3"),
/// with a "+" before positive numbers when `signed`.
pub fn tenths_text(tenths: i64, signed: bool) -> String {
    let sign = if tenths < 0 {
        "-"
    } else if signed {
        "+"
    } else {
        ""
    };
    let abs = tenths.unsigned_abs();
    format!("{sign}{}.{}", abs / 10, abs % 10)
}

/// The median of `values` (sorted here), the mean of the middle two when
/// their count is even; `None` for no values.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] as f64 + values[n / 2] as f64) / 2.0
    })
}

/// The median of durations in ms, in tenths of an hour (rounded half up).
pub fn median_hours_tenths(durations_ms: &mut [i64]) -> Option<i64> {
    median(durations_ms).map(|ms| (ms / 360_000.0).round() as i64)
}

/// Each follow-up of one paid case: when it falls due and whether it was done
/// on time. The k-th follow-up visit after payment ticks off the k-th
/// follow-up due (as on the case page); it is on time when it was made by
/// the due time.
pub fn follow_up_outcomes(
    paid_at: i64,
    days: &[i64],
    follow_up_visits_at: &[i64],
) -> Vec<(i64, bool)> {
    let mut visits: Vec<i64> = follow_up_visits_at
        .iter()
        .copied()
        .filter(|at| *at >= paid_at)
        .collect();
    visits.sort_unstable();
    days.iter()
        .enumerate()
        .map(|(k, d)| {
            let due_at = paid_at + d * DAY_MS;
            (due_at, visits.get(k).is_some_and(|at| *at <= due_at))
        })
        .collect()
}

/// Of one paid case's follow-ups, those falling due in `[from, to)` and
/// already due at `now`: (how many, how many were done on time).
pub fn follow_ups_on_time(
    paid_at: i64,
    days: &[i64],
    follow_up_visits_at: &[i64],
    from: i64,
    to: i64,
    now: i64,
) -> (i64, i64) {
    let mut due = 0;
    let mut on_time = 0;
    for (due_at, done) in follow_up_outcomes(paid_at, days, follow_up_visits_at) {
        if due_at < from || due_at >= to || due_at > now {
            continue;
        }
        due += 1;
        on_time += i64::from(done);
    }
    (due, on_time)
}

/// The earliest payment time a follow-up due in `[from, to)` can have, and
/// the latest (exclusive): which paid cases a period's follow-ups concern.
pub fn follow_up_payment_window(days: &[i64], from: i64, to: i64) -> (i64, i64) {
    let min = days.iter().copied().min().unwrap_or(0);
    let max = days.iter().copied().max().unwrap_or(0);
    (from - max * DAY_MS, to - min * DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_months_cover_whole_days_in_china_time() {
        let q4 = Period::quarter(2025, 4).unwrap();
        assert_eq!((q4.from, q4.to), ((2025, 10, 1), (2025, 12, 31)));
        // 2025-12-31 23:30 in China is 15:30 UTC: still in 2025's last quarter.
        let late = 1_767_195_000_000;
        assert_eq!(crate::date::china_date(late), (2025, 12, 31));
        assert!(q4.start_ms() <= late && late < q4.end_ms());
        // 16:00 UTC is midnight in China: the new year.
        assert_eq!(q4.end_ms(), 1_767_196_800_000);
        let feb = Period::month(2024, 2).unwrap();
        assert_eq!(feb.to, (2024, 2, 29));
        assert_eq!(Period::month(2025, 2).unwrap().to, (2025, 2, 28));
        assert_eq!(Period::quarter(2025, 5), Err(PeriodError::Quarter));
        assert_eq!(Period::month(2025, 0), Err(PeriodError::Month));
    }

    #[test]
    fn periods_come_from_queries() {
        assert_eq!(
            Period::from_query(Some(2025), None, None, None, None),
            Period::year(2025)
        );
        assert_eq!(
            Period::from_query(Some(2025), Some(2), None, None, None),
            Period::quarter(2025, 2)
        );
        assert_eq!(
            Period::from_query(None, None, None, Some("2025-03-05"), Some("2025-04-01"))
                .unwrap()
                .to,
            (2025, 4, 1)
        );
        assert_eq!(
            Period::from_query(None, None, None, Some("2025-04-05"), Some("2025-04-01")),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::from_query(Some(2025), Some(1), Some(1), None, None),
            Err(PeriodError::QuarterAndMonth)
        );
        assert_eq!(
            Period::from_query(None, None, None, None, None),
            Err(PeriodError::Missing)
        );
        assert_eq!(
            Period::from_query(None, None, None, Some("2025-02-30"), Some("2025-03-01")),
            Err(PeriodError::Date)
        );
    }

    #[test]
    fn the_previous_year_keeps_month_ends() {
        let feb = Period::month(2025, 2).unwrap().previous_year();
        assert_eq!((feb.from, feb.to), ((2024, 2, 1), (2024, 2, 29)));
        let feb = Period::month(2024, 2).unwrap().previous_year();
        assert_eq!(feb.to, (2023, 2, 28));
        let range = Period::range("2024-02-29", "2024-03-10")
            .unwrap()
            .previous_year();
        assert_eq!((range.from, range.to), ((2023, 2, 28), (2023, 3, 10)));
        let year = Period::year(2025).unwrap().previous_year();
        assert_eq!(year, Period::year(2024).unwrap());
    }

    #[test]
    fn change_has_one_decimal_and_new_after_zero() {
        assert_eq!(change(5, 0), Change::New);
        assert_eq!(change(5, 0).text(), "new");
        assert_eq!(change(0, 0).text(), "0.0%");
        assert_eq!(change(0, 4).text(), "-100.0%");
        assert_eq!(change(3, 4).text(), "-25.0%");
        assert_eq!(change(9, 8).text(), "+12.5%");
        assert_eq!(change(8, 8).text(), "0.0%");
        // 1/3 = 33.33 % -> 33.3; 2/3 = 66.67 % -> 66.7; -2/3 -> -66.7
        assert_eq!(change(4, 3).text(), "+33.3%");
        assert_eq!(change(5, 3).text(), "+66.7%");
        assert_eq!(change(1, 3).text(), "-66.7%");
        // Half away from zero: 1/8000 = 0.0125 % -> 0.0; 1/2000 = 0.05 % -> 0.1
        assert_eq!(change(2001, 2000).text(), "+0.1%");
        assert_eq!(change(1999, 2000).text(), "-0.1%");
        assert_eq!(change(8001, 8000).text(), "0.0%");
        assert_eq!(change(i64::MAX, 1), Change::Tenths(i64::MAX));
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        let hour = 3_600_000;
        assert_eq!(
            median_hours_tenths(&mut [30 * hour, 20 * hour, 45 * hour, 21 * hour]),
            Some(255)
        );
        assert_eq!(tenths_text(255, false), "25.5");
    }

    #[test]
    fn follow_ups_count_in_the_period_they_fall_due() {
        let paid = china_midnight_ms((2025, 1, 1));
        let day = DAY_MS;
        let year = Period::year(2025).unwrap();
        let now = china_midnight_ms((2026, 6, 1));
        // Visit on day 20 ticks off the 30-day one on time; visit on day 100
        // ticks off the 90-day one late.
        let visits = [paid + 100 * day, paid + 20 * day];
        assert_eq!(
            follow_ups_on_time(
                paid,
                &[30, 90],
                &visits,
                year.start_ms(),
                year.end_ms(),
                now
            ),
            (2, 1)
        );
        // A visit before payment ticks nothing off.
        assert_eq!(
            follow_ups_on_time(
                paid,
                &[30],
                &[paid - day],
                year.start_ms(),
                year.end_ms(),
                now
            ),
            (1, 0)
        );
        // Not yet due at `now`: not counted.
        assert_eq!(
            follow_ups_on_time(paid, &[30], &[], year.start_ms(), year.end_ms(), paid),
            (0, 0)
        );
        let (lo, hi) = follow_up_payment_window(&[30, 90], year.start_ms(), year.end_ms());
        assert_eq!(lo, year.start_ms() - 90 * day);
        assert_eq!(hi, year.end_ms() - 30 * day);
    }
}
