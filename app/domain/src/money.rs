//! Money in integer fen (分). Floating point never touches an amount.

use serde::{Deserialize, Serialize};

/// An amount of money in fen (1 yuan = 100 fen). Negative amounts are allowed
/// in arithmetic (a balance can be computed as a difference) but rules that take
/// money in reject them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not an amount in yuan with at most two decimals")]
    Malformed,
    #[error("amount is too large")]
    Overflow,
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// Sum of amounts, `None` on overflow.
    pub fn checked_sum<I: IntoIterator<Item = Fen>>(amounts: I) -> Option<Fen> {
        amounts
            .into_iter()
            .try_fold(Fen::ZERO, |total, amount| total.checked_add(amount))
    }

    /// Parses an amount typed in yuan ("1200", "1200.5", "1,200.50", "¥1200")
    /// without going through floating point.
    pub fn parse_yuan(text: &str) -> Result<Fen, MoneyError> {
        let cleaned: String = text
            .trim()
            .trim_start_matches(['¥', '￥'])
            .chars()
            .filter(|c| *c != ',' && *c != '，')
            .collect();
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || frac.len() > 2 {
            return Err(MoneyError::Malformed);
        }
        let yuan: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let mut fen_part: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| MoneyError::Malformed)?
        };
        if frac.len() == 1 {
            fen_part *= 10;
        }
        let total = yuan
            .checked_mul(100)
            .and_then(|f| f.checked_add(fen_part))
            .ok_or(MoneyError::Overflow)?;
        Ok(Fen(if negative { -total } else { total }))
    }

    /// "12,345.60" — yuan with thousands separators and two decimals.
    pub fn format_yuan(self) -> String {
        let negative = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!(
            "{}{}.{:02}",
            if negative { "-" } else { "" },
            grouped,
            abs % 100
        )
    }

    /// Splits an amount into `count` installments that add up exactly to it;
    /// the remainder fen go to the first installments.
    pub fn split_evenly(self, count: u32) -> Vec<Fen> {
        if count == 0 {
            return Vec::new();
        }
        let n = i64::from(count);
        let base = self.0 / n;
        let remainder = self.0 % n;
        (0..n)
            .map(|i| Fen(base + if i < remainder { 1 } else { 0 }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_without_floating_point() {
        assert_eq!(Fen::parse_yuan("1200"), Ok(Fen(120_000)));
        assert_eq!(Fen::parse_yuan("1200.5"), Ok(Fen(120_050)));
        assert_eq!(Fen::parse_yuan("¥1,200.05"), Ok(Fen(120_005)));
        assert_eq!(Fen::parse_yuan("0.1"), Ok(Fen(10)));
        assert_eq!(Fen::parse_yuan("-3.00"), Ok(Fen(-300)));
        assert_eq!(Fen::parse_yuan("1.234"), Err(MoneyError::Malformed));
        assert_eq!(Fen::parse_yuan("abc"), Err(MoneyError::Malformed));
        assert_eq!(Fen::parse_yuan(".5"), Err(MoneyError::Malformed));
        assert_eq!(
            Fen::parse_yuan("99999999999999999999"),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn formats_with_separators_and_two_decimals() {
        assert_eq!(Fen(0).format_yuan(), "0.00");
        assert_eq!(Fen(5).format_yuan(), "0.05");
        assert_eq!(Fen(123_456_789).format_yuan(), "1,234,567.89");
        assert_eq!(Fen(-100_000).format_yuan(), "-1,000.00");
    }

    #[test]
    fn even_split_adds_up_to_the_whole() {
        let parts = Fen(1_000_001).split_evenly(3);
        assert_eq!(parts, vec![Fen(333_334), Fen(333_334), Fen(333_333)]);
        assert_eq!(Fen::checked_sum(parts), Some(Fen(1_000_001)));
        assert!(Fen(100).split_evenly(0).is_empty());
    }

    #[test]
    fn arithmetic_reports_overflow() {
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen::checked_sum([Fen(i64::MAX), Fen(1)]), None);
    }
}
