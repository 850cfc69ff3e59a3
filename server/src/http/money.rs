//! Aid money: plans, supervision, scans and photos, payments, spending and
//! the village committee's confirmations, the money view of a case.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::api::money::{
    MoneyDocument, MoneyText, MoneyView, PaymentInput, PhoneCheckInput, PlanInput, SpendingInput,
    SupervisedChild, SupervisionInput,
};
use domain::api::ErrorBody;
use domain::payment::DocumentKind;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{AppBytes, AppJson, AppPath, AppQuery, ClientAddr};
use super::AppState;
use crate::service::money::{self, SpendingStep};
use crate::service::Actor;

/// Largest scan or photo the upload takes; `domain::payment::sniff_image`
/// refuses anything above 5 MiB with a clear message, the extra room lets it.
pub const MAX_DOCUMENT_UPLOAD: usize = domain::payment::MAX_DOCUMENT_BYTES + 64 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
pub struct DocumentQuery {
    /// agreement, pledge or receipt
    #[param(value_type = String)]
    kind: DocumentKind,
}

/// The money of a case: ledger, plan, supervision, payments, spending and the timeline.
/// A village committee sees only supervised children of its own village (404 otherwise).
#[utoipa::path(get, path = "/api/v1/cases/{id}/money", tag = "money", params(("id" = i64, Path)),
    responses((status = 200, body = MoneyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn get_money(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<MoneyView>> {
    Ok(AppJson(
        money::money_view(&state.db, &actor, id, &client).await?,
    ))
}

/// Makes or changes the payment plan of an approved case. After a payment only a
/// supervisor may, with a `reason`, and `installments` are then the unpaid rest.
#[utoipa::path(post, path = "/api/v1/cases/{id}/money/plan", tag = "money", params(("id" = i64, Path)), request_body = PlanInput,
    responses(
        (status = 200, body = MoneyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "case_not_approved, plan_started (only a supervisor), plan_fully_paid", body = ErrorBody),
        (status = 422, description = "plan_sum_mismatch, date_before_decision, fraction_of_fen, …", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn set_plan(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<PlanInput>,
) -> ApiResult<AppJson<MoneyView>> {
    Ok(AppJson(
        money::set_plan(&state.db, &actor, id, input, Some(&client)).await?,
    ))
}

/// Uploads a scan or photo (JPEG, PNG or WebP, at most 5 MiB) as the raw body.
#[utoipa::path(post, path = "/api/v1/cases/{id}/money/documents", tag = "money", params(("id" = i64, Path), DocumentQuery),
    request_body(content = String, content_type = "application/octet-stream", description = "The image's bytes"),
    responses(
        (status = 201, body = MoneyDocument),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "no_plan", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "not_an_image, file_empty, file_too_large", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn upload_document(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<DocumentQuery>,
    AppBytes(body): AppBytes,
) -> ApiResult<(StatusCode, AppJson<MoneyDocument>)> {
    let doc = money::upload_document(&state.db, &actor, id, query.kind, &body).await?;
    Ok((StatusCode::CREATED, AppJson(doc)))
}

/// The image of a money document. A village committee gets only receipts of its own children.
#[utoipa::path(get, path = "/api/v1/money/documents/{id}", tag = "money", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The image", content_type = "image/*", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn get_document(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Response> {
    let (content_type, bytes) = money::get_document(&state.db, &actor, id, &client).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    Ok(response)
}

/// Records the signed supervision agreement and pledge with the uploaded scans.
#[utoipa::path(post, path = "/api/v1/cases/{id}/money/supervision", tag = "money", params(("id" = i64, Path)), request_body = SupervisionInput,
    responses(
        (status = 200, body = MoneyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "no_plan, not_supervised", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn record_supervision(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<SupervisionInput>,
) -> ApiResult<AppJson<MoneyView>> {
    Ok(AppJson(
        money::record_supervision(&state.db, &actor, id, input, Some(&client)).await?,
    ))
}

/// The case's officer records an installment as paid.
#[utoipa::path(post, path = "/api/v1/money/installments/{id}/pay", tag = "money", params(("id" = i64, Path)), request_body = PaymentInput,
    responses(
        (status = 200, body = MoneyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "already_paid, earlier_installment_unpaid, supervision_required, proof_of_use_required, case_not_paying, over_approved", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn pay_installment(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<PaymentInput>,
) -> ApiResult<AppJson<MoneyView>> {
    Ok(AppJson(
        money::pay_installment(&state.db, &actor, id, input, Some(&client)).await?,
    ))
}

/// A supervisor releases an installment without proof of use, with the reason in `text`.
#[utoipa::path(post, path = "/api/v1/money/installments/{id}/release", tag = "money", params(("id" = i64, Path)), request_body = MoneyText,
    responses(
        (status = 200, body = MoneyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "already_paid", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn override_release(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<MoneyText>,
) -> ApiResult<AppJson<MoneyView>> {
    Ok(AppJson(
        money::override_release(&state.db, &actor, id, input, Some(&client)).await?,
    ))
}

/// The case's officer records a phone check of a payment with the family.
#[utoipa::path(post, path = "/api/v1/money/payments/{id}/checks", tag = "money", params(("id" = i64, Path)), request_body = PhoneCheckInput,
    responses(
        (status = 201, body = MoneyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn phone_check(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<PhoneCheckInput>,
) -> ApiResult<(StatusCode, AppJson<MoneyView>)> {
    let view = money::phone_check(&state.db, &actor, id, input, Some(&client)).await?;
    Ok((StatusCode::CREATED, AppJson(view)))
}

/// The village committee or the case's officer records spending, up to the balance.
#[utoipa::path(post, path = "/api/v1/cases/{id}/money/spending", tag = "money", params(("id" = i64, Path)), request_body = SpendingInput,
    responses(
        (status = 201, body = MoneyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "over_balance: more than paid and not yet spent; no_plan", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn record_spending(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<SpendingInput>,
) -> ApiResult<(StatusCode, AppJson<MoneyView>)> {
    let view = money::record_spending(&state.db, &actor, id, input, Some(&client)).await?;
    Ok((StatusCode::CREATED, AppJson(view)))
}

/// The child's village committee confirms a spending record.
#[utoipa::path(post, path = "/api/v1/money/spending/{id}/confirm", tag = "money", params(("id" = i64, Path)),
    responses(
        (status = 200, body = MoneyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "spending_not_waiting", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn confirm_spending(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<MoneyView>> {
    Ok(AppJson(
        money::spending_step(
            &state.db,
            &actor,
            id,
            SpendingStep::Confirm,
            None,
            Some(&client),
        )
        .await?,
    ))
}

/// The child's village committee queries a spending record, with the question in `text`.
#[utoipa::path(post, path = "/api/v1/money/spending/{id}/query", tag = "money", params(("id" = i64, Path)), request_body = MoneyText,
    responses(
        (status = 200, body = MoneyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "spending_not_waiting", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn query_spending(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<MoneyText>,
) -> ApiResult<AppJson<MoneyView>> {
    Ok(AppJson(
        money::spending_step(
            &state.db,
            &actor,
            id,
            SpendingStep::Query,
            Some(input.text),
            Some(&client),
        )
        .await?,
    ))
}

/// The case's officer answers a query (`text`); the record waits for the committee again.
#[utoipa::path(post, path = "/api/v1/money/spending/{id}/answer", tag = "money", params(("id" = i64, Path)), request_body = MoneyText,
    responses(
        (status = 200, body = MoneyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "spending_not_waiting", body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn answer_query(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddr(client): ClientAddr,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<MoneyText>,
) -> ApiResult<AppJson<MoneyView>> {
    Ok(AppJson(
        money::spending_step(
            &state.db,
            &actor,
            id,
            SpendingStep::Answer,
            Some(input.text),
            Some(&client),
        )
        .await?,
    ))
}

/// Supervised children in the caller's reach: a village committee's own village,
/// an officer's own cases, all for a supervisor; with records waiting for confirmation.
#[utoipa::path(get, path = "/api/v1/money/supervised", tag = "money",
    responses((status = 200, body = Vec<SupervisedChild>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_supervised(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<Vec<SupervisedChild>>> {
    Ok(AppJson(money::list_supervised(&state.db, &actor).await?))
}
