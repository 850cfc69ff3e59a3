//! Leads and cases.

use axum::extract::State;
use axum::http::StatusCode;
use domain::api::{
    AcceptLead, CaseDetail, CasePage, DeclineGreenChannel, DeclineLead, ErrorBody, LeadView,
    NamedRef, NewLead, TransitionRequest,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{AppJson, AppPath, AppQuery, ClientAddr};
use super::AppState;
use crate::service::cases::{self, CaseQuery};
use crate::service::privacy;
use crate::service::Actor;

#[derive(Debug, Deserialize, IntoParams)]
pub struct LeadListQuery {
    /// open, accepted or declined; all when absent.
    status: Option<String>,
    /// The channel, e.g. `hotline_12309`.
    channel: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CaseListQuery {
    /// A case state, e.g. `proposed`.
    state: Option<String>,
    village_id: Option<i64>,
    officer_id: Option<i64>,
    /// Year of acceptance.
    year: Option<i64>,
    /// The channel of the case's lead.
    channel: Option<String>,
    /// The applicant's priority group, e.g. `minor`.
    priority_group: Option<String>,
    /// Case number or applicant name.
    q: Option<String>,
    /// Only the caller's own cases.
    #[serde(default)]
    mine: bool,
    /// Only cases whose current stage ran past its limit.
    #[serde(default)]
    overdue: bool,
    /// From 1.
    page: Option<i64>,
    /// 1 to 100, default 20.
    per_page: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/leads", tag = "cases", request_body = NewLead,
    responses(
        (status = 201, body = LeadView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "possible_duplicate: the same person has an open lead or case", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn create_lead(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(input): AppJson<NewLead>,
) -> ApiResult<(StatusCode, AppJson<LeadView>)> {
    let lead = cases::create_lead(&state.db, &actor, input).await?;
    Ok((StatusCode::CREATED, AppJson(lead)))
}

#[utoipa::path(get, path = "/api/v1/leads", tag = "cases", params(LeadListQuery),
    responses((status = 200, body = Vec<LeadView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_leads(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<LeadListQuery>,
) -> ApiResult<AppJson<Vec<LeadView>>> {
    Ok(AppJson(
        cases::list_leads(
            &state.db,
            &actor,
            query.status.as_deref(),
            query.channel.as_deref(),
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = LeadView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn get_lead(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<LeadView>> {
    Ok(AppJson(cases::get_lead(&state.db, &actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/leads/{id}/accept", tag = "cases", params(("id" = i64, Path)), request_body = AcceptLead,
    responses(
        (status = 201, description = "The new case", body = CaseDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The lead is no longer open", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn accept_lead(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<AcceptLead>,
) -> ApiResult<(StatusCode, AppJson<CaseDetail>)> {
    let case = cases::accept_lead(&state.db, &state.config, &actor, id, input).await?;
    Ok((StatusCode::CREATED, AppJson(case)))
}

#[utoipa::path(post, path = "/api/v1/leads/{id}/decline", tag = "cases", params(("id" = i64, Path)), request_body = DeclineLead,
    responses(
        (status = 200, body = LeadView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn decline_lead(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<DeclineLead>,
) -> ApiResult<AppJson<LeadView>> {
    Ok(AppJson(
        cases::decline_lead(&state.db, &actor, id, input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseListQuery),
    responses((status = 200, body = CasePage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_cases(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<CaseListQuery>,
) -> ApiResult<AppJson<CasePage>> {
    let query = CaseQuery {
        state: query.state,
        village_id: query.village_id,
        officer_id: query.officer_id,
        year: query.year,
        channel: query.channel,
        priority_group: query.priority_group,
        q: query.q,
        mine: query.mine,
        overdue: query.overdue,
        page: query.page,
        per_page: query.per_page,
    };
    Ok(AppJson(
        cases::list_cases(&state.db, &state.config, &actor, query).await?,
    ))
}

/// One case. Its team (the assigned officer, supervisors) sees names, ID
/// numbers and phones in full, other officers masked; a case with a child
/// outside one's team needs a break-the-glass grant (403 `protected_case`
/// otherwise), and every read of it is logged.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 401, body = ErrorBody),
        (status = 403, description = "forbidden, or protected_case: break the glass first", body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn get_case(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<CaseDetail>> {
    Ok(AppJson(
        privacy::open_case(&state.db, &state.config, &actor, id, &client).await?,
    ))
}

/// Moves a case to its next state. An action the state or the role does not allow gets 409 with the reason.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "cases", params(("id" = i64, Path)), request_body = TransitionRequest,
    responses(
        (status = 200, body = CaseDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed in this state or for this role", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn transition_case(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<TransitionRequest>,
) -> ApiResult<AppJson<CaseDetail>> {
    Ok(AppJson(
        cases::transition(&state.db, &state.config, &actor, id, input).await?,
    ))
}

/// A supervisor confirms the green channel the officer asked for.
#[utoipa::path(post, path = "/api/v1/cases/{id}/green-channel/confirm", tag = "cases", params(("id" = i64, Path)),
    responses(
        (status = 200, body = CaseDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not asked for, already confirmed, or the case is over", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn confirm_green_channel(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<CaseDetail>> {
    Ok(AppJson(
        cases::confirm_green_channel(&state.db, &state.config, &actor, id).await?,
    ))
}

/// A supervisor turns down the green channel the officer asked for; the case goes on as an ordinary one.
#[utoipa::path(post, path = "/api/v1/cases/{id}/green-channel/decline", tag = "cases", params(("id" = i64, Path)),
    request_body = DeclineGreenChannel,
    responses(
        (status = 200, body = CaseDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not asked for, already confirmed, or the case is over", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn decline_green_channel(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<DeclineGreenChannel>,
) -> ApiResult<AppJson<CaseDetail>> {
    Ok(AppJson(
        cases::decline_green_channel(&state.db, &state.config, &actor, id, input).await?,
    ))
}

/// Officers, for assigning and filtering cases.
#[utoipa::path(get, path = "/api/v1/officers", tag = "cases",
    responses((status = 200, body = Vec<NamedRef>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_officers(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<Vec<NamedRef>>> {
    Ok(AppJson(cases::list_officers(&state.db, &actor).await?))
}

/// The years that have cases, newest first.
#[utoipa::path(get, path = "/api/v1/case-years", tag = "cases",
    responses((status = 200, body = Vec<i64>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn case_years(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<Vec<i64>>> {
    Ok(AppJson(cases::case_years(&state.db, &actor).await?))
}
