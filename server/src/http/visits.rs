//! Field visits, their photos and signatures, and the follow-ups due after payment.
//!
//! Writes are PUTs to an id the phone made: the first one answers 201, a
//! replay of the same record 200 with the stored record, the same id with
//! other content 409 `id_reused`.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::api::ErrorBody;
use domain::visit::{
    CaseVisits, FollowUpItem, NewVisit, VisitFileKind, VisitFileView, VisitView,
    MAX_VISIT_FILE_BYTES,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{AppBytes, AppJson, AppPath, AppQuery, ClientAddr};
use super::AppState;
use crate::service::visits::{self, Stored};
use crate::service::Actor;

/// Largest upload body: one photo or signature.
pub const MAX_FILE_BODY: usize = MAX_VISIT_FILE_BYTES;

fn status(stored: Stored) -> StatusCode {
    match stored {
        Stored::Created => StatusCode::CREATED,
        Stored::AlreadyStored => StatusCode::OK,
    }
}

/// Records a visit on the caller's own case under an id (UUID) made on the phone.
#[utoipa::path(put, path = "/api/v1/cases/{id}/visits/{visit_id}", tag = "visits",
    params(("id" = i64, Path), ("visit_id" = String, Path, description = "UUID made on the phone")),
    request_body = NewVisit,
    responses(
        (status = 201, description = "Stored", body = VisitView),
        (status = 200, description = "Already stored: the same record was sent before", body = VisitView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such case, or not the caller's case", body = ErrorBody),
        (status = 409, description = "`id_reused` (the id holds another record) or `case_over`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn record_visit(
    State(state): State<AppState>,
    actor: Actor,
    AppPath((id, visit_id)): AppPath<(i64, String)>,
    AppJson(input): AppJson<NewVisit>,
) -> ApiResult<(StatusCode, AppJson<VisitView>)> {
    let result = visits::record_visit(&state.db, &actor, id, &visit_id, input).await;
    state.metrics.observe_sync(
        "visit",
        result
            .as_ref()
            .map(|(stored, _)| *stored == Stored::Created),
    );
    let (stored, visit) = result?;
    Ok((status(stored), AppJson(visit)))
}

/// The visits of a case (newest first) and its follow-ups after payment.
#[utoipa::path(get, path = "/api/v1/cases/{id}/visits", tag = "visits", params(("id" = i64, Path)),
    responses(
        (status = 200, body = CaseVisits), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such case, or another officer's case", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn case_visits(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<CaseVisits>> {
    Ok(AppJson(
        visits::case_visits(&state.db, &state.config, &actor, id).await?,
    ))
}

/// One visit.
#[utoipa::path(get, path = "/api/v1/visits/{visit_id}", tag = "visits", params(("visit_id" = String, Path)),
    responses((status = 200, body = VisitView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn get_visit(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(visit_id): AppPath<String>,
) -> ApiResult<AppJson<VisitView>> {
    Ok(AppJson(
        visits::get_visit(&state.db, &actor, &visit_id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FileQuery {
    /// `photo` (JPEG, PNG or WebP) or `signature` (PNG).
    kind: VisitFileKind,
}

/// Stores a photo or the signature of a visit: the image's bytes as the body,
/// under an id (UUID) made on the phone. Checked by content, at most 3 MiB.
#[utoipa::path(put, path = "/api/v1/visits/{visit_id}/files/{file_id}", tag = "visits",
    params(("visit_id" = String, Path), ("file_id" = String, Path, description = "UUID made on the phone"), FileQuery),
    request_body(content = String, content_type = "image/jpeg", description = "A JPEG, PNG or WebP image; a signature is a PNG"),
    responses(
        (status = 201, description = "Stored", body = VisitFileView),
        (status = 200, description = "Already stored", body = VisitFileView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`id_reused`, `case_over` or `too_many_files`", body = ErrorBody),
        (status = 413, description = "Larger than 3 MiB", body = ErrorBody),
        (status = 422, description = "Not an image of an accepted format", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn upload_visit_file(
    State(state): State<AppState>,
    actor: Actor,
    AppPath((visit_id, file_id)): AppPath<(String, String)>,
    AppQuery(query): AppQuery<FileQuery>,
    AppBytes(body): AppBytes,
) -> ApiResult<(StatusCode, AppJson<VisitFileView>)> {
    let result =
        visits::upload_file(&state.db, &actor, &visit_id, &file_id, query.kind, &body).await;
    state.metrics.observe_sync(
        "visit_file",
        result
            .as_ref()
            .map(|(stored, _)| *stored == Stored::Created),
    );
    let (stored, file) = result?;
    Ok((status(stored), AppJson(file)))
}

/// A photo or signature, for those who may see the visit's case.
#[utoipa::path(get, path = "/api/v1/visits/{visit_id}/files/{file_id}", tag = "visits",
    params(("visit_id" = String, Path), ("file_id" = String, Path)),
    responses(
        (status = 200, description = "The image", content_type = "image/jpeg"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn get_visit_file(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath((visit_id, file_id)): AppPath<(String, String)>,
) -> ApiResult<Response> {
    let (content_type, bytes) =
        visits::file_content(&state.db, &actor, &visit_id, &file_id, &client).await?;
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            // A file never changes under its id; only this browser may keep it.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=604800, immutable"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Follow-ups not done yet: the officer's own cases, or all for a supervisor; overdue marked.
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "visits",
    responses((status = 200, body = Vec<FollowUpItem>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn due_follow_ups(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<Vec<FollowUpItem>>> {
    Ok(AppJson(
        visits::due_follow_ups(&state.db, &state.config, &actor).await?,
    ))
}
