//! The JSON shapes of supervisors' statistics: every figure of a period and
//! scope beside the same figure for the same period a year earlier.

use serde::{Deserialize, Serialize};

use crate::stats::change;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// One figure this period and in the same period a year earlier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Figure {
    pub current: i64,
    pub previous: i64,
    /// "new" when the previous figure is 0 (and this one is not), otherwise
    /// the change in percent with a sign and one decimal: "+12.5%", "-100.0%", "0.0%".
    pub change: String,
}

impl Figure {
    pub fn new(current: i64, previous: i64) -> Figure {
        Figure {
            current,
            previous,
            change: change(current, previous).text(),
        }
    }
}

/// A figure for one key: a channel, a priority group, a referral state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct KeyedFigure {
    pub key: String,
    #[serde(flatten)]
    pub figure: Figure,
}

/// Referrals to one agency, by the state they are in now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AgencyReferrals {
    pub agency: super::NamedRef,
    pub total: Figure,
    /// Every referral state (sent, accepted, declined, in_progress, done, withdrawn).
    pub by_state: Vec<KeyedFigure>,
}

/// Where the figures come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StatsScope {
    /// county, township, village or officer
    pub kind: String,
    pub id: Option<i64>,
    /// The county, township, village or officer named.
    pub name: String,
}

/// Dates in China time, both included (YYYY-MM-DD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PeriodView {
    pub from: String,
    pub to: String,
}

/// Hours, in tenths (255 is 25.5 hours); absent when nothing was paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MedianHours {
    pub current_tenths: Option<i64>,
    pub previous_tenths: Option<i64>,
}

/// The dashboard of a period and scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StatsView {
    pub period: PeriodView,
    /// The same period a year earlier.
    pub previous_period: PeriodView,
    pub scope: StatsScope,
    /// Leads received in the period (by the date received).
    pub leads: Figure,
    /// Every channel, in the order of `domain::case::Channel::ALL`.
    pub leads_by_channel: Vec<KeyedFigure>,
    /// Cases accepted (受理) in the period.
    pub cases_handled: Figure,
    /// Cases whose aid was approved in the period.
    pub cases_granted: Figure,
    /// Cases whose proposal was refused in the period.
    pub cases_refused: Figure,
    /// Fen approved in the period.
    pub money_approved_fen: Figure,
    /// Fen paid in the period (by the date paid).
    pub money_paid_fen: Figure,
    /// Applicants whose aid was approved in the period.
    pub people_aided: Figure,
    /// The same people by priority group (a person may be in several).
    pub people_aided_by_group: Vec<KeyedFigure>,
    /// Green-channel cases accepted in the period.
    pub green_channel_cases: Figure,
    /// Of those, the median hours from acceptance to the first payment recorded.
    pub green_channel_median_hours: MedianHours,
    /// Follow-ups that fell due in the period (and are due by now).
    pub follow_ups_due: Figure,
    /// Of those, done by the day they fell due.
    pub follow_ups_on_time: Figure,
    /// Referrals made in the period, per agency, by their state now.
    pub referrals: Vec<AgencyReferrals>,
}
