//! Consents and referrals to partner agencies.

use axum::extract::State;
use axum::http::StatusCode;
use domain::api::{CaseReferrals, ErrorBody, NewConsent, NewReferral, ReferralText, ReferralView};
use domain::referral::ReferralAction;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{AppJson, AppPath, AppQuery};
use super::AppState;
use crate::service::referrals;
use crate::service::Actor;

/// Records the consent of the applicant or agent (or their guardian) to share their details with partner agencies.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents", tag = "referrals", params(("id" = i64, Path)), request_body = NewConsent,
    responses(
        (status = 201, description = "The case's consents and referrals", body = CaseReferrals),
        (status = 401, body = ErrorBody), (status = 403, description = "Not the case's officer", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn record_consent(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<NewConsent>,
) -> ApiResult<(StatusCode, AppJson<CaseReferrals>)> {
    let result = referrals::record_consent(&state.db, &actor, id, input).await?;
    Ok((StatusCode::CREATED, AppJson(result)))
}

/// The consents and referrals of a case.
#[utoipa::path(get, path = "/api/v1/cases/{id}/referrals", tag = "referrals", params(("id" = i64, Path)),
    responses((status = 200, body = CaseReferrals), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn case_referrals(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<CaseReferrals>> {
    Ok(AppJson(
        referrals::case_referrals(&state.db, &actor, id).await?,
    ))
}

/// The case's officer refers a person to a partner agency. Needs the person's recorded consent.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "referrals", params(("id" = i64, Path)), request_body = NewReferral,
    responses(
        (status = 201, body = ReferralView),
        (status = 401, body = ErrorBody), (status = 403, description = "Not the case's officer", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "consent_required, or the case is over", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn create_referral(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<NewReferral>,
) -> ApiResult<(StatusCode, AppJson<ReferralView>)> {
    let referral = referrals::create_referral(&state.db, &actor, id, input).await?;
    Ok((StatusCode::CREATED, AppJson(referral)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReferralListQuery {
    /// A referral state, e.g. `sent`; all when absent.
    state: Option<String>,
    /// `true`: only unfinished referrals past their due date.
    overdue: Option<bool>,
}

/// Referrals in the caller's reach: a partner's agency's, an officer's own cases', or all for a supervisor.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals", params(ReferralListQuery),
    responses((status = 200, body = Vec<ReferralView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_referrals(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<ReferralListQuery>,
) -> ApiResult<AppJson<Vec<ReferralView>>> {
    Ok(AppJson(
        referrals::list_referrals(
            &state.db,
            &actor,
            query.state.as_deref(),
            query.overdue.unwrap_or(false),
        )
        .await?,
    ))
}

/// One referral. A partner of another agency gets 404.
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", params(("id" = i64, Path)),
    responses((status = 200, body = ReferralView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn get_referral(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<ReferralView>> {
    Ok(AppJson(
        referrals::get_referral(&state.db, &actor, id).await?,
    ))
}

/// The addressed agency accepts a sent referral.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/accept", tag = "referrals", params(("id" = i64, Path)),
    responses(
        (status = 200, body = ReferralView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed in this state", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn accept_referral(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<ReferralView>> {
    Ok(AppJson(
        referrals::act(&state.db, &actor, id, ReferralAction::Accept, None).await?,
    ))
}

/// The addressed agency declines a sent referral, with the reason in `text`.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/decline", tag = "referrals", params(("id" = i64, Path)), request_body = ReferralText,
    responses(
        (status = 200, body = ReferralView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed in this state", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn decline_referral(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ReferralText>,
) -> ApiResult<AppJson<ReferralView>> {
    Ok(AppJson(
        referrals::act(
            &state.db,
            &actor,
            id,
            ReferralAction::Decline,
            Some(input.text),
        )
        .await?,
    ))
}

/// The agency records progress (`text`) on an accepted referral; can be repeated.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/progress", tag = "referrals", params(("id" = i64, Path)), request_body = ReferralText,
    responses(
        (status = 200, body = ReferralView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed in this state", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn progress_referral(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ReferralText>,
) -> ApiResult<AppJson<ReferralView>> {
    Ok(AppJson(
        referrals::act(
            &state.db,
            &actor,
            id,
            ReferralAction::Progress,
            Some(input.text),
        )
        .await?,
    ))
}

/// The agency records the outcome (`text`); the referral is done.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/complete", tag = "referrals", params(("id" = i64, Path)), request_body = ReferralText,
    responses(
        (status = 200, body = ReferralView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed in this state", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn complete_referral(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ReferralText>,
) -> ApiResult<AppJson<ReferralView>> {
    Ok(AppJson(
        referrals::act(
            &state.db,
            &actor,
            id,
            ReferralAction::Complete,
            Some(input.text),
        )
        .await?,
    ))
}

/// The case's officer withdraws an unfinished referral, with the reason in `text`
/// (e.g. to address it to another agency: withdraw, then refer again).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/withdraw", tag = "referrals", params(("id" = i64, Path)), request_body = ReferralText,
    responses(
        (status = 200, body = ReferralView),
        (status = 401, body = ErrorBody), (status = 403, description = "Not the case's officer", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed in this state", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn withdraw_referral(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ReferralText>,
) -> ApiResult<AppJson<ReferralView>> {
    Ok(AppJson(
        referrals::act(
            &state.db,
            &actor,
            id,
            ReferralAction::Withdraw,
            Some(input.text),
        )
        .await?,
    ))
}
