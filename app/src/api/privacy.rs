//! The typed client of need-to-know access: break-the-glass, full
//! disclosures, the printable case, grants and the read log.

use domain::api::privacy::{AccessGrant, AccessRequest, CasePrint, DisclosureRequest, ReadEntry};

use super::{json, request, ApiError, Method};

pub fn break_glass(
    case_id: i64,
    input: &AccessRequest,
) -> impl std::future::Future<Output = Result<AccessGrant, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{case_id}/access"),
        json(input),
    )
}

pub fn request_disclosure(
    case_id: i64,
    input: &DisclosureRequest,
) -> impl std::future::Future<Output = Result<AccessGrant, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{case_id}/disclosures"),
        json(input),
    )
}

/// A grant for one full download of the case list (`?disclosure=ID`).
pub fn request_export_disclosure(
    input: &DisclosureRequest,
) -> impl std::future::Future<Output = Result<AccessGrant, ApiError>> + Send {
    request(Method::Post, "/api/v1/disclosures".into(), json(input))
}

pub fn print_case(
    case_id: i64,
    disclosure: Option<i64>,
) -> impl std::future::Future<Output = Result<CasePrint, ApiError>> + Send {
    let query = disclosure
        .map(|d| format!("?disclosure={d}"))
        .unwrap_or_default();
    request(
        Method::Get,
        format!("/api/v1/cases/{case_id}/print{query}"),
        None,
    )
}

pub fn list_grants() -> impl std::future::Future<Output = Result<Vec<AccessGrant>, ApiError>> + Send
{
    request(Method::Get, "/api/v1/access-grants".into(), None)
}

pub fn case_reads(
    case_id: i64,
) -> impl std::future::Future<Output = Result<Vec<ReadEntry>, ApiError>> + Send {
    request(Method::Get, format!("/api/v1/cases/{case_id}/reads"), None)
}
