//! A case's facts edited on phones (often offline), the conflicts two edits
//! meet, and the same-person check of the new-lead form.
//!
//! An edit is a PUT to an id the phone made: 201 the first time, 200 with
//! the first answer on a replay, 409 `id_reused` when the id comes back with
//! other content.

use axum::extract::State;
use axum::http::StatusCode;
use domain::api::ErrorBody;
use domain::facts::{
    CaseFactsView, FactConflictView, FactEdit, FactEditResult, PersonMatch, ResolveConflict,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{AppJson, AppPath, AppQuery};
use super::AppState;
use crate::service::facts;
use crate::service::visits::Stored;
use crate::service::Actor;

/// The facts of a case and its open conflicts.
#[utoipa::path(get, path = "/api/v1/cases/{id}/facts", tag = "facts", params(("id" = i64, Path)),
    responses(
        (status = 200, body = CaseFactsView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such case, or another officer's case", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn case_facts(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<CaseFactsView>> {
    Ok(AppJson(facts::case_facts(&state.db, &actor, id).await?))
}

/// Applies an edit of a case's facts made on a phone, under an id (UUID) the
/// phone made: `base` is what the phone last saw, `changes` what the officer
/// changed (`null` clears a fact). Fields changed on one side only merge; a
/// field changed on both sides keeps the server's value and comes back as a conflict.
#[utoipa::path(put, path = "/api/v1/cases/{id}/facts/{edit_id}", tag = "facts",
    params(("id" = i64, Path), ("edit_id" = String, Path, description = "UUID made on the phone")),
    request_body = FactEdit,
    responses(
        (status = 201, description = "Merged", body = FactEditResult),
        (status = 200, description = "Already applied: the first answer again", body = FactEditResult),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such case, or another officer's case", body = ErrorBody),
        (status = 409, description = "`id_reused` (the id holds another edit) or `case_over`", body = ErrorBody),
        (status = 422, description = "A value out of range or of the wrong kind; `field` names it", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn edit_facts(
    State(state): State<AppState>,
    actor: Actor,
    AppPath((id, edit_id)): AppPath<(i64, String)>,
    AppJson(input): AppJson<FactEdit>,
) -> ApiResult<(StatusCode, AppJson<FactEditResult>)> {
    let result = facts::edit_facts(&state.db, &actor, id, &edit_id, input).await;
    state.metrics.observe_sync(
        "case_facts",
        result
            .as_ref()
            .map(|(stored, _)| *stored == Stored::Created),
    );
    let (stored, outcome) = result?;
    let status = match stored {
        Stored::Created => StatusCode::CREATED,
        Stored::AlreadyStored => StatusCode::OK,
    };
    Ok((status, AppJson(outcome)))
}

/// Settles a conflict: `mine` takes the edit's value, `theirs` keeps the
/// server's. The case's officer or a supervisor; audited.
#[utoipa::path(post, path = "/api/v1/fact-conflicts/{id}/resolve", tag = "facts",
    params(("id" = i64, Path)),
    request_body = ResolveConflict,
    responses(
        (status = 200, body = FactConflictView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such conflict, or on another officer's case", body = ErrorBody),
        (status = 409, description = "`conflict_resolved`: already settled", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn resolve_conflict(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ResolveConflict>,
) -> ApiResult<AppJson<FactConflictView>> {
    Ok(AppJson(
        facts::resolve_conflict(&state.db, &actor, id, input.choice).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MatchQuery {
    /// A resident ID number.
    id_number: Option<String>,
    /// With `village_id`: the same name in the same village.
    name: Option<String>,
    village_id: Option<i64>,
}

/// Leads and cases (any status) about the same person: the same resident ID
/// number, or the same name in the same village. Names masked. For the
/// new-lead form's warning; only those who log leads.
#[utoipa::path(get, path = "/api/v1/people/matches", tag = "facts", params(MatchQuery),
    responses(
        (status = 200, body = Vec<PersonMatch>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Neither an ID number nor a name and village, or a malformed ID number", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn person_matches(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<MatchQuery>,
) -> ApiResult<AppJson<Vec<PersonMatch>>> {
    Ok(AppJson(
        facts::person_matches(
            &state.db,
            &actor,
            query.id_number.as_deref(),
            query.name.as_deref(),
            query.village_id,
        )
        .await?,
    ))
}
