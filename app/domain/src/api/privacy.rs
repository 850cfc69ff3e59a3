//! The JSON shapes of need-to-know access: break-the-glass grants, full
//! disclosures, the read log of protected cases and the printable case.

use serde::{Deserialize, Serialize};

use super::{CaseDetail, NamedRef};
use crate::privacy::{GrantKind, ReadKind};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Break-the-glass: a user outside a protected case's team asks to open it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// Why this case is needed (at least 10 characters); kept and shown to supervisors.
    pub reason: String,
}

/// Asks to disclose a case in full (print or export) for a stated purpose.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisclosureRequest {
    /// What the full version is for (at least 10 characters).
    pub purpose: String,
    /// `print` (the default) or `export`.
    #[serde(default = "default_disclosure_kind")]
    pub what: GrantKind,
}

fn default_disclosure_kind() -> GrantKind {
    GrantKind::Print
}

/// A grant: to open a case (break-the-glass) or to disclose it in full.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccessGrant {
    pub id: i64,
    /// None for a disclosure spanning cases (an export).
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    pub user: NamedRef,
    pub kind: GrantKind,
    pub reason: String,
    pub granted_at: i64,
    pub expires_at: i64,
    /// Still valid at the time of the answer.
    pub active: bool,
    pub client_addr: Option<String>,
}

/// One read of a protected case.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReadEntry {
    pub id: i64,
    pub at: i64,
    pub user: NamedRef,
    pub what: ReadKind,
    /// The photo's or document's id.
    pub item: Option<String>,
    /// Names, ID numbers and phone numbers were shown in full.
    pub full_details: bool,
    /// The grant the read went through, if any (break-the-glass or disclosure).
    pub grant_id: Option<i64>,
    /// The client's address as the server saw it (README "Privacy").
    pub client_addr: Option<String>,
}

/// A case prepared for printing: redacted unless a disclosure grant was used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CasePrint {
    /// Redacted: names, ID numbers and phone numbers masked; the summary,
    /// the proposal's reasoning and timeline comments left out.
    pub case: CaseDetail,
    pub full: bool,
    /// The stated purpose of a full print.
    pub purpose: Option<String>,
    pub printed_by: NamedRef,
    pub printed_at: i64,
}
