//! Downloads: the filtered case list and the statistics as CSV or XLSX,
//! streamed (see `service::export`).

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::api::ErrorBody;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{AppQuery, ClientAddr};
use super::stats::StatsParams;
use super::AppState;
use crate::service::cases::CaseQuery;
use crate::service::export::{self, ExportStream, Format};
use crate::service::privacy::{self, Client};
use crate::service::stats::StatsQuery;
use crate::service::Actor;

/// The case list's filters (every page of them), and the language of the headings.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CaseExportQuery {
    state: Option<String>,
    village_id: Option<i64>,
    officer_id: Option<i64>,
    /// Year of acceptance.
    year: Option<i64>,
    channel: Option<String>,
    priority_group: Option<String>,
    /// Case number or applicant name.
    q: Option<String>,
    #[serde(default)]
    mine: bool,
    #[serde(default)]
    overdue: bool,
    /// `en` for English headings; Chinese by default.
    lang: Option<String>,
    /// An export grant of one's own (`POST /api/v1/disclosures` with a purpose,
    /// `"what": "export"`), used once: names, ID numbers and phones in full on
    /// the rows of one's team's cases (all for a supervisor, an officer's own).
    /// Without it everyone gets them masked.
    disclosure: Option<i64>,
}

/// The statistics' period and scope, and the language of the headings.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsExportQuery {
    /// `en` for English headings; Chinese by default.
    lang: Option<String>,
}

fn download(stream: ExportStream, format: Format, name: &str) -> Response {
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = format.content_type().parse() {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = format!(
        "attachment; filename=\"jiuzhu-{name}.{}\"",
        format.extension()
    )
    .parse()
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    if format == Format::Xlsx {
        // Already deflated: keeps the compression layer from zipping it again.
        headers.insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static("identity"),
        );
    }
    response
}

fn case_query(q: CaseExportQuery) -> (CaseQuery, Option<String>, Option<i64>) {
    (
        CaseQuery {
            state: q.state,
            village_id: q.village_id,
            officer_id: q.officer_id,
            year: q.year,
            channel: q.channel,
            priority_group: q.priority_group,
            q: q.q,
            mine: q.mine,
            overdue: q.overdue,
            page: None,
            per_page: None,
        },
        q.lang,
        q.disclosure,
    )
}

async fn cases(
    state: AppState,
    actor: Actor,
    client: Client,
    q: CaseExportQuery,
    format: Format,
) -> ApiResult<Response> {
    let (query, lang, disclosure) = case_query(q);
    let stream = privacy::export_cases(
        &state.db,
        &state.config,
        &actor,
        &query,
        format,
        lang.as_deref(),
        disclosure,
        &client,
    )
    .await?;
    Ok(download(stream, format, "cases"))
}

#[utoipa::path(get, path = "/api/v1/cases/export.csv", tag = "stats", params(CaseExportQuery),
    responses(
        (status = 200, description = "UTF-8 CSV with a byte-order mark; names, ID numbers and phones masked, or in full on one's team's cases with `disclosure`", content_type = "text/csv"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "forbidden; disclosure_not_valid (not one's own export grant, expired or used)", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn export_cases_csv(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppQuery(q): AppQuery<CaseExportQuery>,
) -> ApiResult<Response> {
    cases(state, actor, client, q, Format::Csv).await
}

#[utoipa::path(get, path = "/api/v1/cases/export.xlsx", tag = "stats", params(CaseExportQuery),
    responses(
        (status = 200, description = "One worksheet; names, ID numbers and phones masked, or in full on one's team's cases with `disclosure`", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "forbidden; disclosure_not_valid (not one's own export grant, expired or used)", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn export_cases_xlsx(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppQuery(q): AppQuery<CaseExportQuery>,
) -> ApiResult<Response> {
    cases(state, actor, client, q, Format::Xlsx).await
}

async fn stats(
    state: AppState,
    actor: Actor,
    params: StatsParams,
    lang: Option<String>,
    format: Format,
) -> ApiResult<Response> {
    let query = StatsQuery::from(params);
    let stream = export::export_stats(
        &state.db,
        &state.config,
        &actor,
        &query,
        format,
        lang.as_deref(),
    )
    .await?;
    Ok(download(stream, format, "statistics"))
}

#[utoipa::path(get, path = "/api/v1/stats/export.csv", tag = "stats", params(StatsParams, StatsExportQuery),
    responses(
        (status = 200, description = "Section, item, this period, a year earlier, change", content_type = "text/csv"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn export_stats_csv(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(params): AppQuery<StatsParams>,
    AppQuery(q): AppQuery<StatsExportQuery>,
) -> ApiResult<Response> {
    stats(state, actor, params, q.lang, Format::Csv).await
}

#[utoipa::path(get, path = "/api/v1/stats/export.xlsx", tag = "stats", params(StatsParams, StatsExportQuery),
    responses(
        (status = 200, description = "Section, item, this period, a year earlier, change", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn export_stats_xlsx(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(params): AppQuery<StatsParams>,
    AppQuery(q): AppQuery<StatsExportQuery>,
) -> ApiResult<Response> {
    stats(state, actor, params, q.lang, Format::Xlsx).await
}
