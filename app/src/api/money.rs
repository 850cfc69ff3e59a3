//! The typed client of the aid money endpoints.

use domain::api::money::{
    MoneyDocument, MoneyText, MoneyView, PaymentInput, PhoneCheckInput, PlanInput, SpendingInput,
    SupervisedChild, SupervisionInput,
};
use domain::payment::DocumentKind;

use super::{json, request, request_undecoded, upload, ApiError, Method, Undecoded};

pub fn case_money(
    case_id: i64,
) -> impl std::future::Future<Output = Result<MoneyView, ApiError>> + Send {
    request(Method::Get, format!("/api/v1/cases/{case_id}/money"), None)
}

/// The money part for the case page, decoded by its card ([`Undecoded`]).
pub fn case_money_undecoded(
    case_id: i64,
) -> impl std::future::Future<Output = Undecoded<MoneyView>> + Send {
    request_undecoded(format!("/api/v1/cases/{case_id}/money"))
}

pub fn list_supervised(
) -> impl std::future::Future<Output = Result<Vec<SupervisedChild>, ApiError>> + Send {
    request(Method::Get, "/api/v1/money/supervised".into(), None)
}

pub fn set_plan(
    case_id: i64,
    input: &PlanInput,
) -> impl std::future::Future<Output = Result<MoneyView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{case_id}/money/plan"),
        json(input),
    )
}

pub fn upload_document(
    case_id: i64,
    kind: DocumentKind,
    bytes: Vec<u8>,
) -> impl std::future::Future<Output = Result<MoneyDocument, ApiError>> + Send {
    upload(
        format!(
            "/api/v1/cases/{case_id}/money/documents?kind={}",
            kind.as_str()
        ),
        bytes,
    )
}

pub fn record_supervision(
    case_id: i64,
    input: &SupervisionInput,
) -> impl std::future::Future<Output = Result<MoneyView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{case_id}/money/supervision"),
        json(input),
    )
}

pub fn pay_installment(
    id: i64,
    input: &PaymentInput,
) -> impl std::future::Future<Output = Result<MoneyView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/money/installments/{id}/pay"),
        json(input),
    )
}

pub fn override_release(
    id: i64,
    reason: String,
) -> impl std::future::Future<Output = Result<MoneyView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/money/installments/{id}/release"),
        json(&MoneyText { text: reason }),
    )
}

pub fn phone_check(
    payment_id: i64,
    input: &PhoneCheckInput,
) -> impl std::future::Future<Output = Result<MoneyView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/money/payments/{payment_id}/checks"),
        json(input),
    )
}

pub fn record_spending(
    case_id: i64,
    input: &SpendingInput,
) -> impl std::future::Future<Output = Result<MoneyView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{case_id}/money/spending"),
        json(input),
    )
}

/// `confirm` (no text), `query` or `answer` (with the comment).
pub fn spending_step(
    id: i64,
    step: &'static str,
    text: Option<String>,
) -> impl std::future::Future<Output = Result<MoneyView, ApiError>> + Send {
    let body = text.and_then(|text| json(&MoneyText { text }));
    request(
        Method::Post,
        format!("/api/v1/money/spending/{id}/{step}"),
        body,
    )
}
