//! Need to know: break-the-glass, full disclosures, the printable case, the
//! grants list and the read log of a child's case.

use axum::extract::State;
use axum::http::StatusCode;
use domain::api::privacy::{AccessGrant, AccessRequest, CasePrint, DisclosureRequest, ReadEntry};
use domain::api::ErrorBody;
use domain::privacy::GrantKind;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{AppJson, AppPath, AppQuery, ClientAddr};
use super::AppState;
use crate::service::privacy;
use crate::service::Actor;

/// Break-the-glass: open a protected case outside one's team for a stated reason.
#[utoipa::path(post, path = "/api/v1/cases/{id}/access", tag = "privacy", params(("id" = i64, Path)), request_body = AccessRequest,
    responses(
        (status = 201, body = AccessGrant),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "in_team or not_protected: no grant needed", body = ErrorBody),
        (status = 422, description = "reason_too_short", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn break_glass(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<AccessRequest>,
) -> ApiResult<(StatusCode, AppJson<AccessGrant>)> {
    let grant = privacy::break_glass(&state.db, &state.config, &actor, id, input, &client).await?;
    Ok((StatusCode::CREATED, AppJson(grant)))
}

/// Asks to disclose a case in full (print) for a stated purpose; the grant's
/// id then opens `GET /api/v1/cases/{id}/print?disclosure=ID` for a short time.
#[utoipa::path(post, path = "/api/v1/cases/{id}/disclosures", tag = "privacy", params(("id" = i64, Path)), request_body = DisclosureRequest,
    responses(
        (status = 201, body = AccessGrant),
        (status = 401, body = ErrorBody), (status = 403, description = "not in the case's team", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn request_disclosure(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<DisclosureRequest>,
) -> ApiResult<(StatusCode, AppJson<AccessGrant>)> {
    let grant = privacy::authorize_full_disclosure(
        &state.db,
        &state.config,
        &actor,
        Some(id),
        input.what,
        &input.purpose,
        &client,
    )
    .await?;
    Ok((StatusCode::CREATED, AppJson(grant)))
}

/// Asks to export the case list in full for a stated purpose (`what`:
/// `export`). The grant's id, passed once as `disclosure` to
/// `GET /api/v1/cases/export.csv` or `.xlsx` within a short time, writes names,
/// ID numbers and phones in full on the rows of the caller's team's cases
/// (every case for a supervisor, an officer's own cases).
#[utoipa::path(post, path = "/api/v1/disclosures", tag = "privacy", request_body = DisclosureRequest,
    responses(
        (status = 201, body = AccessGrant),
        (status = 401, body = ErrorBody), (status = 403, description = "not a case reader", body = ErrorBody),
        (status = 422, description = "reason_too_short, invalid_disclosure (only `export` spans cases)", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn request_export_disclosure(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppJson(input): AppJson<DisclosureRequest>,
) -> ApiResult<(StatusCode, AppJson<AccessGrant>)> {
    let grant = privacy::authorize_full_disclosure(
        &state.db,
        &state.config,
        &actor,
        None,
        input.what,
        &input.purpose,
        &client,
    )
    .await?;
    Ok((StatusCode::CREATED, AppJson(grant)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PrintQuery {
    /// A print grant of one's own (from `POST /api/v1/cases/{id}/disclosures`) for the full version.
    disclosure: Option<i64>,
}

/// The case for printing: redacted, or in full with a disclosure grant.
#[utoipa::path(get, path = "/api/v1/cases/{id}/print", tag = "privacy", params(("id" = i64, Path), PrintQuery),
    responses(
        (status = 200, body = CasePrint),
        (status = 401, body = ErrorBody),
        (status = 403, description = "forbidden, protected_case, disclosure_not_valid", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn print_case(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<PrintQuery>,
) -> ApiResult<AppJson<CasePrint>> {
    Ok(AppJson(
        privacy::print_case(
            &state.db,
            &state.config,
            &actor,
            id,
            query.disclosure,
            &client,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct GrantListQuery {
    /// case_access (break-the-glass), print or export; all when absent.
    kind: Option<GrantKind>,
}

/// Grants, newest first, expired ones included (supervisors).
#[utoipa::path(get, path = "/api/v1/access-grants", tag = "privacy", params(GrantListQuery),
    responses((status = 200, body = Vec<AccessGrant>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_grants(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<GrantListQuery>,
) -> ApiResult<AppJson<Vec<AccessGrant>>> {
    Ok(AppJson(
        privacy::list_grants(&state.db, &actor, query.kind).await?,
    ))
}

/// Who read this case and how, newest first (supervisors).
#[utoipa::path(get, path = "/api/v1/cases/{id}/reads", tag = "privacy", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ReadEntry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn case_reads(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<Vec<ReadEntry>>> {
    Ok(AppJson(privacy::case_reads(&state.db, &actor, id).await?))
}
