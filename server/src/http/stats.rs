//! Supervisors' statistics.

use axum::extract::State;
use domain::api::stats::StatsView;
use domain::api::ErrorBody;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{AppJson, AppQuery};
use super::AppState;
use crate::service::stats::{self, StatsQuery};
use crate::service::Actor;

/// A period — `year` alone, `year` with `quarter` or `month`, or `from` and
/// `to` (China dates, both included) — and a scope.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsParams {
    year: Option<i32>,
    /// 1 to 4, with `year`.
    quarter: Option<u32>,
    /// 1 to 12, with `year`.
    month: Option<u32>,
    /// YYYY-MM-DD, with `to`.
    from: Option<String>,
    /// YYYY-MM-DD, included.
    to: Option<String>,
    /// county (default for supervisors), township, village or officer (an
    /// officer's default and only choice: their own cases).
    scope: Option<String>,
    /// The township, village or officer.
    scope_id: Option<i64>,
}

impl From<StatsParams> for StatsQuery {
    fn from(p: StatsParams) -> StatsQuery {
        StatsQuery {
            year: p.year,
            quarter: p.quarter,
            month: p.month,
            from: p.from.filter(|t| !t.trim().is_empty()),
            to: p.to.filter(|t| !t.trim().is_empty()),
            scope: p.scope.filter(|t| !t.trim().is_empty()),
            scope_id: p.scope_id,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", params(StatsParams),
    responses(
        (status = 200, body = StatsView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn get_stats(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(params): AppQuery<StatsParams>,
) -> ApiResult<AppJson<StatsView>> {
    let query = StatsQuery::from(params);
    Ok(AppJson(
        stats::dashboard(&state.db, &state.config, &actor, &query).await?,
    ))
}
