//! Stage clocks: how long a case may stay in each state before it is overdue,
//! and how long it actually spent in each.
//!
//! The limits are deployment settings (each procuratorate sets its own); the
//! defaults below follow common practice: a green-channel case is accepted,
//! reviewed, approved and paid within about two days, so its limits are hours
//! where an ordinary case has days.

use serde::{Deserialize, Serialize};

use crate::case::CaseState;

const HOUR_MS: i64 = 3_600_000;

/// Hours a case may spend in each state, for ordinary and green-channel cases.
/// `None`: no limit (final states).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageLimits {
    ordinary: Vec<(CaseState, i64)>,
    green: Vec<(CaseState, i64)>,
}

impl Default for StageLimits {
    fn default() -> Self {
        use CaseState as S;
        StageLimits {
            ordinary: vec![
                (S::Accepted, 3 * 24),
                (S::Investigating, 30 * 24),
                (S::Proposed, 7 * 24),
                (S::Refused, 14 * 24),
                (S::Approved, 7 * 24),
                (S::Paying, 30 * 24),
                (S::FollowingUp, 90 * 24),
            ],
            // Acceptance to first payment in 48 hours, spread over the stages.
            green: vec![
                (S::Accepted, 4),
                (S::Investigating, 24),
                (S::Proposed, 8),
                (S::Refused, 8),
                (S::Approved, 12),
                (S::Paying, 24),
                (S::FollowingUp, 90 * 24),
            ],
        }
    }
}

/// Why a limits setting could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stage limits must look like \"accepted=72,investigating=720\" (hours per state): {0}")]
pub struct StageLimitsError(String);

impl StageLimits {
    /// The limit of `state` in milliseconds.
    pub fn limit_ms(&self, state: CaseState, green_channel: bool) -> Option<i64> {
        let table = if green_channel {
            &self.green
        } else {
            &self.ordinary
        };
        table
            .iter()
            .find(|(s, _)| *s == state)
            .map(|(_, hours)| hours * HOUR_MS)
    }

    /// Every (state, green channel, limit in ms) that has a limit, for queries
    /// that need the whole table at once.
    pub fn all_ms(&self) -> Vec<(CaseState, bool, i64)> {
        let ordinary = self.ordinary.iter().map(|(s, h)| (*s, false, h * HOUR_MS));
        let green = self.green.iter().map(|(s, h)| (*s, true, h * HOUR_MS));
        ordinary.chain(green).collect()
    }

    /// Overrides some limits from a setting such as `accepted=48,investigating=480`
    /// (hours; `0` removes the limit). States not named keep their limit.
    pub fn with_overrides(mut self, setting: &str, green: bool) -> Result<Self, StageLimitsError> {
        let table = if green {
            &mut self.green
        } else {
            &mut self.ordinary
        };
        for part in setting.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, hours) = part
                .split_once('=')
                .ok_or_else(|| StageLimitsError(part.to_string()))?;
            let state = CaseState::parse(name.trim())
                .filter(|s| !s.is_final())
                .ok_or_else(|| StageLimitsError(format!("unknown state {name}")))?;
            let hours: i64 = hours
                .trim()
                .parse()
                .ok()
                .filter(|h| (0..=24 * 3650).contains(h))
                .ok_or_else(|| StageLimitsError(format!("bad hours in {part}")))?;
            table.retain(|(s, _)| *s != state);
            if hours > 0 {
                table.push((state, hours));
            }
        }
        Ok(self)
    }
}

/// One stretch of time a case spent in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageSpan {
    pub state: CaseState,
    /// UTC ms.
    pub entered_at: i64,
    /// UTC ms; `None` while the case is still in this state.
    pub left_at: Option<i64>,
    pub duration_ms: i64,
    pub limit_ms: Option<i64>,
    /// It ran (or is running) past its limit.
    pub overdue: bool,
}

/// The stages of a case from its state changes, oldest first: `changes` holds
/// (when, new state) in order. `now` ends the current stage.
pub fn stage_spans(
    changes: &[(i64, CaseState)],
    now: i64,
    limits: &StageLimits,
    green_channel: bool,
) -> Vec<StageSpan> {
    let mut spans: Vec<StageSpan> = Vec::with_capacity(changes.len());
    for (i, &(entered_at, state)) in changes.iter().enumerate() {
        // A change into the state the case is already in (say, a green-channel
        // confirmation) does not start a new stage.
        if spans.last().is_some_and(|s| s.state == state) {
            continue;
        }
        let left_at = changes[i + 1..]
            .iter()
            .find(|(_, next)| *next != state)
            .map(|(at, _)| *at);
        let limit_ms = if state.is_final() {
            None
        } else {
            limits.limit_ms(state, green_channel)
        };
        let duration_ms = (left_at.unwrap_or(now) - entered_at).max(0);
        spans.push(StageSpan {
            state,
            entered_at,
            left_at,
            duration_ms,
            limit_ms,
            overdue: limit_ms.is_some_and(|limit| duration_ms > limit),
        });
    }
    spans
}

/// Whole days and remaining hours of a duration, for "3 d 4 h" labels.
pub fn days_hours(ms: i64) -> (i64, i64) {
    let hours = ms.max(0) / HOUR_MS;
    (hours / 24, hours % 24)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState as S;

    const H: i64 = HOUR_MS;

    #[test]
    fn green_channel_limits_are_tighter_than_ordinary_ones() {
        let limits = StageLimits::default();
        for state in S::ALL.iter().filter(|s| !s.is_final()) {
            let ordinary = limits.limit_ms(*state, false).unwrap();
            let green = limits.limit_ms(*state, true).unwrap();
            assert!(green <= ordinary, "{state:?}");
        }
        assert_eq!(limits.limit_ms(S::Closed, false), None);
        // Acceptance to payment fits the 48-hour target.
        let to_payment: i64 = [S::Accepted, S::Investigating, S::Proposed, S::Approved]
            .iter()
            .map(|s| limits.limit_ms(*s, true).unwrap())
            .sum();
        assert_eq!(to_payment, 48 * H);
    }

    #[test]
    fn settings_override_some_limits_and_reject_nonsense() {
        let limits = StageLimits::default()
            .with_overrides("accepted=48, proposed=0", false)
            .unwrap();
        assert_eq!(limits.limit_ms(S::Accepted, false), Some(48 * H));
        assert_eq!(limits.limit_ms(S::Proposed, false), None);
        assert_eq!(limits.limit_ms(S::Investigating, false), Some(720 * H));
        // The green table is untouched.
        assert_eq!(limits.limit_ms(S::Accepted, true), Some(4 * H));
        for bad in [
            "accepted",
            "accepted=x",
            "nosuch=3",
            "closed=5",
            "accepted=-1",
        ] {
            assert!(
                StageLimits::default().with_overrides(bad, true).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            StageLimits::default().with_overrides("", false).unwrap(),
            StageLimits::default()
        );
    }

    #[test]
    fn spans_follow_the_state_changes_and_mark_overruns() {
        let limits = StageLimits::default();
        let changes = [
            (0, S::Accepted),
            (5 * H, S::Investigating),
            // Confirming the green channel keeps the state: no new stage.
            (6 * H, S::Investigating),
            (20 * H, S::Proposed),
        ];
        let spans = stage_spans(&changes, 30 * H, &limits, true);
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[0].state, S::Accepted);
        assert_eq!(spans[0].duration_ms, 5 * H);
        assert!(spans[0].overdue, "4 hours allowed, 5 taken");
        assert_eq!(spans[1].left_at, Some(20 * H));
        assert_eq!(spans[1].duration_ms, 15 * H);
        assert!(!spans[1].overdue);
        assert_eq!(spans[2].left_at, None);
        assert_eq!(spans[2].duration_ms, 10 * H);
        assert!(spans[2].overdue, "8 hours allowed, 10 running");

        // The same history is on time for an ordinary case.
        assert!(stage_spans(&changes, 30 * H, &limits, false)
            .iter()
            .all(|s| !s.overdue));
    }

    #[test]
    fn final_states_have_no_clock() {
        let spans = stage_spans(
            &[(0, S::Accepted), (H, S::Withdrawn)],
            1000 * H,
            &StageLimits::default(),
            false,
        );
        assert_eq!(spans[1].limit_ms, None);
        assert!(!spans[1].overdue);
        assert_eq!(days_hours(50 * H + 59 * 60_000), (2, 2));
    }
}
