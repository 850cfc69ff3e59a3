//! Supervisors' statistics: the figures of a period and scope beside those of
//! the same period a year earlier.
//!
//! Who sees what: supervisors any scope (county, township, village, officer);
//! an officer only their own cases (scope `officer` with their own id, which
//! is also their default). Everyone else gets 403. The figures carry no
//! names of people, so no masking is needed here.

use std::collections::HashMap;

use domain::api::stats::{
    AgencyReferrals, Figure, KeyedFigure, MedianHours, PeriodView, StatsScope, StatsView,
};
use domain::api::NamedRef;
use domain::case::{Channel, PriorityGroup};
use domain::date::{china_date, format_date};
use domain::referral::ReferralState;
use domain::stats::{china_midnight_ms, follow_ups_on_time, median_hours_tenths, Period};
use domain::Permission;

use super::cases::invalid;
use super::{Actor, ServiceError, ServiceResult};
use crate::config::AppConfig;
use crate::storage::rollup as rollup_store;
use crate::storage::stats::{self as store, Range, Scope};
use crate::storage::{now_ms, Db};

const DAY_MS: i64 = 86_400_000;

/// The statistics query, as received.
#[derive(Debug, Clone, Default)]
pub struct StatsQuery {
    pub year: Option<i32>,
    pub quarter: Option<u32>,
    pub month: Option<u32>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// county (default), township, village or officer
    pub scope: Option<String>,
    pub scope_id: Option<i64>,
}

/// The period and scope a query names, checked against the actor's rights.
pub async fn resolve(
    db: &Db,
    actor: &Actor,
    query: &StatsQuery,
) -> ServiceResult<(Period, Scope, StatsScope)> {
    let all = actor.role.can(Permission::ReadStatistics);
    if !all && !actor.role.can(Permission::ReadOwnStatistics) {
        return Err(ServiceError::Forbidden);
    }
    let period = Period::from_query(
        query.year,
        query.quarter,
        query.month,
        query.from.as_deref(),
        query.to.as_deref(),
    )
    .map_err(|_| {
        invalid(
            "period",
            "invalid_period",
            "give year (with quarter 1-4 or month 1-12), or from and to as YYYY-MM-DD",
        )
    })?;
    let kind = match query.scope.as_deref() {
        Some(kind) => kind,
        None if all => "county",
        None => "officer",
    };
    let id = if !all && kind == "officer" {
        Some(query.scope_id.unwrap_or(actor.user_id))
    } else {
        query.scope_id
    };
    let need_id =
        || id.ok_or_else(|| invalid("scope_id", "missing_scope_id", "this scope needs scope_id"));
    let scope = match kind {
        "county" => Scope::County,
        "township" => Scope::Township(need_id()?),
        "village" => Scope::Village(need_id()?),
        "officer" => Scope::Officer(need_id()?),
        _ => {
            return Err(invalid(
                "scope",
                "invalid_scope",
                "scope is county, township, village or officer",
            ))
        }
    };
    if !all && scope != Scope::Officer(actor.user_id) {
        return Err(ServiceError::Forbidden);
    }
    let name = match scope {
        Scope::County => String::new(),
        _ => store::scope_name(db, scope).await?.ok_or_else(|| {
            invalid(
                "scope_id",
                "unknown_scope",
                "no township, village or officer with this id",
            )
        })?,
    };
    let view = StatsScope {
        kind: kind.to_string(),
        id: if scope == Scope::County { None } else { id },
        name,
    };
    Ok((period, scope, view))
}

/// The dashboard: every figure of the period and of the same period a year earlier.
#[tracing::instrument(skip_all, fields(user_id = actor.user_id))]
pub async fn dashboard(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    query: &StatsQuery,
) -> ServiceResult<StatsView> {
    let (period, scope, scope_view) = resolve(db, actor, query).await?;
    // Built at start-up; this catches a database restored or generated since.
    super::rollup::ensure_current(db, &config.follow_up_days).await?;
    let previous = period.previous_year();
    let now = now_ms();
    let (current, before, agencies) = tokio::try_join!(
        figures(db, config, scope, &period, now),
        figures(db, config, scope, &previous, now),
        async { Ok::<_, ServiceError>(store::agencies(db).await?) },
    )?;
    Ok(build_view(
        &period, &previous, scope_view, &current, &before, &agencies,
    ))
}

/// The raw figures of one period.
#[derive(Debug, Default)]
struct Figures {
    leads: HashMap<String, i64>,
    handled: i64,
    green: i64,
    granted: i64,
    refused: i64,
    approved_fen: i64,
    paid_fen: i64,
    people: i64,
    people_by_group: HashMap<String, i64>,
    green_median_tenths: Option<i64>,
    follow_ups_due: i64,
    follow_ups_on_time: i64,
    /// agency id → referral state → count
    referrals: HashMap<i64, HashMap<String, i64>>,
}

fn range_of(period: &Period) -> Range {
    Range {
        start: period.start_ms(),
        end: period.end_ms(),
        from: period.from_text(),
        to: period.to_text(),
    }
}

/// Where a scope's figures are kept in the rollups: (level, unit).
fn rollup_unit(scope: Scope) -> (&'static str, i64) {
    match scope {
        Scope::County => ("c", 0),
        Scope::Township(id) => ("t", id),
        Scope::Village(id) => ("v", id),
        Scope::Officer(id) => ("o", id),
    }
}

/// One period's figures, summed from the rollups. Follow-ups are counted
/// once they fall due: the rollups count them up to yesterday, and today's
/// are checked against the clock from the cases paid on the right days.
async fn figures(
    db: &Db,
    config: &AppConfig,
    scope: Scope,
    period: &Period,
    now: i64,
) -> ServiceResult<Figures> {
    let range = range_of(period);
    let today = format_date(china_date(now));
    let (level, unit) = rollup_unit(scope);
    let (sums, (due_today, on_time_today)) = tokio::try_join!(
        async {
            Ok::<_, ServiceError>(
                rollup_store::sums(db, level, unit, &range.from, &range.to, &today).await?,
            )
        },
        follow_ups_due_today(db, config, scope, &range, now),
    )?;
    let mut figures = Figures {
        follow_ups_due: due_today,
        follow_ups_on_time: on_time_today,
        ..Figures::default()
    };
    let mut green_ms: Vec<i64> = Vec::new();
    for sum in sums {
        let (n, fen) = (sum.n, sum.fen);
        let (kind, detail) = sum.figure.split_once(':').unwrap_or((&sum.figure, ""));
        match kind {
            "lead" => *figures.leads.entry(detail.to_string()).or_default() += n,
            "handled" => figures.handled += n,
            "green" => figures.green += n,
            "granted" => {
                figures.granted += n;
                figures.approved_fen += fen;
            }
            "refused" => figures.refused += n,
            "paid" => figures.paid_fen += fen,
            "people" if detail.is_empty() => figures.people += n,
            "people" => {
                *figures
                    .people_by_group
                    .entry(detail.to_string())
                    .or_default() += n
            }
            "green_ms" => {
                if let Ok(ms) = detail.parse::<i64>() {
                    green_ms.extend(std::iter::repeat_n(ms, usize::try_from(n).unwrap_or(0)));
                }
            }
            // Follow-ups due from today on are not due yet (today's were counted above).
            "fu_due" if sum.later == 0 => figures.follow_ups_due += n,
            "fu_on_time" if sum.later == 0 => figures.follow_ups_on_time += n,
            "referral" => {
                if let Some((agency, state)) = detail.split_once(':') {
                    if let Ok(agency) = agency.parse::<i64>() {
                        *figures
                            .referrals
                            .entry(agency)
                            .or_default()
                            .entry(state.to_string())
                            .or_default() += n;
                    }
                }
            }
            _ => {}
        }
    }
    figures.green_median_tenths = median_hours_tenths(&mut green_ms);
    Ok(figures)
}

/// Follow-ups of the scope falling due today, inside the period, by now:
/// (how many, how many were done on time).
async fn follow_ups_due_today(
    db: &Db,
    config: &AppConfig,
    scope: Scope,
    range: &Range,
    now: i64,
) -> ServiceResult<(i64, i64)> {
    let today_start = china_midnight_ms(china_date(now));
    let from = range.start.max(today_start);
    let to = range.end.min(now + 1);
    if from >= to {
        return Ok((0, 0));
    }
    let days = &config.follow_up_days;
    // The cases whose payment began the right number of days before today.
    let mut cases: HashMap<i64, (i64, Vec<i64>)> = HashMap::new();
    for d in days {
        let rows =
            store::paid_with_follow_ups(db, scope, from - d * DAY_MS, to - d * DAY_MS).await?;
        for row in rows {
            let entry = cases
                .entry(row.case_id)
                .or_insert((row.paid_at, Vec::new()));
            entry.0 = entry.0.min(row.paid_at);
            if let Some(at) = row.visited_at {
                entry.1.push(at);
            }
        }
    }
    let mut due = 0;
    let mut on_time = 0;
    for (paid_at, mut visits) in cases.into_values() {
        visits.sort_unstable();
        visits.dedup();
        let (d, o) = follow_ups_on_time(paid_at, days, &visits, from, to, now);
        due += d;
        on_time += o;
    }
    Ok((due, on_time))
}

fn keyed(
    keys: &[&str],
    current: &HashMap<String, i64>,
    before: &HashMap<String, i64>,
) -> Vec<KeyedFigure> {
    keys.iter()
        .map(|key| KeyedFigure {
            key: (*key).to_string(),
            figure: Figure::new(
                current.get(*key).copied().unwrap_or(0),
                before.get(*key).copied().unwrap_or(0),
            ),
        })
        .collect()
}

fn build_view(
    period: &Period,
    previous: &Period,
    scope: StatsScope,
    now: &Figures,
    before: &Figures,
    agencies: &[(i64, String)],
) -> StatsView {
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let groups: Vec<&str> = PriorityGroup::ALL.iter().map(|g| g.as_str()).collect();
    let states: Vec<&str> = ReferralState::ALL.iter().map(|s| s.as_str()).collect();
    let (ref_now, ref_before) = (&now.referrals, &before.referrals);
    let empty = HashMap::new();
    let referrals = agencies
        .iter()
        .map(|(id, name)| {
            let current = ref_now.get(id).unwrap_or(&empty);
            let previous = ref_before.get(id).unwrap_or(&empty);
            AgencyReferrals {
                agency: NamedRef {
                    id: *id,
                    name: name.clone(),
                },
                total: Figure::new(current.values().sum(), previous.values().sum()),
                by_state: keyed(&states, current, previous),
            }
        })
        .collect();
    StatsView {
        period: PeriodView {
            from: period.from_text(),
            to: period.to_text(),
        },
        previous_period: PeriodView {
            from: previous.from_text(),
            to: previous.to_text(),
        },
        scope,
        leads: Figure::new(now.leads.values().sum(), before.leads.values().sum()),
        leads_by_channel: keyed(&channels, &now.leads, &before.leads),
        cases_handled: Figure::new(now.handled, before.handled),
        cases_granted: Figure::new(now.granted, before.granted),
        cases_refused: Figure::new(now.refused, before.refused),
        money_approved_fen: Figure::new(now.approved_fen, before.approved_fen),
        money_paid_fen: Figure::new(now.paid_fen, before.paid_fen),
        people_aided: Figure::new(now.people, before.people),
        people_aided_by_group: keyed(&groups, &now.people_by_group, &before.people_by_group),
        green_channel_cases: Figure::new(now.green, before.green),
        green_channel_median_hours: MedianHours {
            current_tenths: now.green_median_tenths,
            previous_tenths: before.green_median_tenths,
        },
        follow_ups_due: Figure::new(now.follow_ups_due, before.follow_ups_due),
        follow_ups_on_time: Figure::new(now.follow_ups_on_time, before.follow_ups_on_time),
        referrals,
    }
}
