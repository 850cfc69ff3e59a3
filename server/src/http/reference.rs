//! Villages, agencies and the audit log.

use axum::extract::State;
use axum::http::StatusCode;
use domain::api::{Agency, AgencyServices, AuditEntry, ErrorBody, NewAgency, Village};

use super::error::ApiResult;
use super::extract::{AppJson, AppPath};
use super::AppState;
use crate::service::{audit, places, Actor};

#[utoipa::path(get, path = "/api/v1/villages", tag = "reference",
    responses((status = 200, body = Vec<Village>), (status = 401, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_villages(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<Vec<Village>>> {
    Ok(AppJson(places::list_villages(&state.db, &actor).await?))
}

#[utoipa::path(get, path = "/api/v1/agencies", tag = "reference",
    responses((status = 200, body = Vec<Agency>), (status = 401, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_agencies(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<Vec<Agency>>> {
    Ok(AppJson(places::list_agencies(&state.db, &actor).await?))
}

/// An admin adds a partner agency and the services it offers.
#[utoipa::path(post, path = "/api/v1/agencies", tag = "reference", request_body = NewAgency,
    responses(
        (status = 201, body = Agency),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn create_agency(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(input): AppJson<NewAgency>,
) -> ApiResult<(StatusCode, AppJson<Agency>)> {
    let agency = places::create_agency(&state.db, &actor, input).await?;
    Ok((StatusCode::CREATED, AppJson(agency)))
}

/// An admin sets the services an agency offers, replacing the old set.
#[utoipa::path(put, path = "/api/v1/agencies/{id}/services", tag = "reference", params(("id" = i64, Path)),
    request_body = AgencyServices,
    responses(
        (status = 200, body = Agency),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn set_agency_services(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<AgencyServices>,
) -> ApiResult<AppJson<Agency>> {
    Ok(AppJson(
        places::set_agency_services(&state.db, &actor, id, input).await?,
    ))
}

/// The audit trail of one entity, newest first. `entity_type` is e.g. `user`
/// or `case` (a case's trail includes every entry about its parts).
#[utoipa::path(get, path = "/api/v1/audit/{entity_type}/{entity_id}", tag = "audit",
    params(
        ("entity_type" = String, Path, description = "user, case, ..."),
        ("entity_id" = String, Path, description = "The entity's id"),
    ),
    responses(
        (status = 200, body = Vec<AuditEntry>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn list_audit(
    State(state): State<AppState>,
    actor: Actor,
    AppPath((entity_type, entity_id)): AppPath<(String, String)>,
) -> ApiResult<AppJson<Vec<AuditEntry>>> {
    Ok(AppJson(
        audit::list(&state.db, &actor, &entity_type, &entity_id).await?,
    ))
}
