//! Case screening: upload a list of criminal cases, choose its columns, and
//! turn each flagged person into a lead or dismiss them.

use axum::extract::State;
use axum::http::StatusCode;
use domain::api::{ErrorBody, LeadView};
use domain::screening::{
    ColumnMapping, DismissFlag, FlagToLead, ScreeningFlagView, ScreeningImportView, ScreeningUpload,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{AppBytes, AppJson, AppPath, AppQuery};
use super::AppState;
use crate::service::screening;
use crate::service::Actor;

/// Largest file the upload takes (the rest of the API takes 64 KiB).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The file's name, shown in the import and in the leads it leads to.
    file_name: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FlagListQuery {
    /// open, lead or dismissed; all when absent.
    status: Option<String>,
}

/// Uploads a CSV (UTF-8 or GBK) or XLSX file as the raw request body (the
/// content, not the name or type, decides which). Imported at once when the
/// remembered mapping fits; otherwise `needs_mapping` with the headings.
#[utoipa::path(post, path = "/api/v1/screening/imports", tag = "screening", params(UploadQuery),
    request_body(content = String, content_type = "application/octet-stream",
        description = "The file's bytes: text/csv, an XLSX workbook or application/octet-stream"),
    responses(
        (status = 201, description = "`imported`, or `needs_mapping`: POST the columns to …/mapping", body = ScreeningUpload),
        (status = 200, description = "`already_imported`: the same file was imported before; nothing was written", body = ScreeningUpload),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "Larger than 10 MiB", body = ErrorBody),
        (status = 422, description = "Empty, unreadable, or more than 20,000 rows", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn upload_import(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<UploadQuery>,
    AppBytes(body): AppBytes,
) -> ApiResult<(StatusCode, AppJson<ScreeningUpload>)> {
    let file_name = query.file_name.unwrap_or_default();
    let upload = screening::upload(&state.db, &actor, &file_name, &body).await?;
    let status = if upload.outcome == "already_imported" {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, AppJson(upload)))
}

#[utoipa::path(get, path = "/api/v1/screening/imports/{id}", tag = "screening", params(("id" = i64, Path)),
    responses((status = 200, body = ScreeningImportView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn get_import(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<ScreeningImportView>> {
    Ok(AppJson(screening::get_import(&state.db, &actor, id).await?))
}

/// Chooses the columns of a file waiting for them; the choice is remembered
/// for the next file, and this one is imported.
#[utoipa::path(post, path = "/api/v1/screening/imports/{id}/mapping", tag = "screening", params(("id" = i64, Path)),
    request_body = ColumnMapping,
    responses(
        (status = 200, body = ScreeningUpload),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "import_done: already imported", body = ErrorBody),
        (status = 422, description = "A required column is not chosen, or a heading is not in the file", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn choose_mapping(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(mapping): AppJson<ColumnMapping>,
) -> ApiResult<AppJson<ScreeningUpload>> {
    Ok(AppJson(
        screening::choose_mapping(&state.db, &actor, id, mapping).await?,
    ))
}

/// The column mapping remembered from the last choice.
#[utoipa::path(get, path = "/api/v1/screening/mapping", tag = "screening",
    responses((status = 200, body = ColumnMapping), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn get_mapping(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<ColumnMapping>> {
    Ok(AppJson(
        screening::remembered_mapping(&state.db, &actor).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/screening/flags", tag = "screening", params(FlagListQuery),
    responses((status = 200, body = Vec<ScreeningFlagView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_flags(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<FlagListQuery>,
) -> ApiResult<AppJson<Vec<ScreeningFlagView>>> {
    Ok(AppJson(
        screening::list_flags(&state.db, &actor, query.status.as_deref()).await?,
    ))
}

/// Turns a flag into an aid lead (channel `case_screening`).
#[utoipa::path(post, path = "/api/v1/screening/flags/{id}/lead", tag = "screening", params(("id" = i64, Path)),
    request_body = FlagToLead,
    responses(
        (status = 201, description = "The new lead", body = LeadView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "possible_duplicate (confirm to go on), or flag_not_open", body = ErrorBody),
        (status = 422, description = "village_required: the row named no village", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn flag_to_lead(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<FlagToLead>,
) -> ApiResult<(StatusCode, AppJson<LeadView>)> {
    let lead = screening::flag_to_lead(&state.db, &actor, id, input).await?;
    Ok((StatusCode::CREATED, AppJson(lead)))
}

#[utoipa::path(post, path = "/api/v1/screening/flags/{id}/dismiss", tag = "screening", params(("id" = i64, Path)),
    request_body = DismissFlag,
    responses(
        (status = 200, body = ScreeningFlagView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "flag_not_open", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn dismiss_flag(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<DismissFlag>,
) -> ApiResult<AppJson<ScreeningFlagView>> {
    Ok(AppJson(
        screening::dismiss_flag(&state.db, &actor, id, input).await?,
    ))
}
