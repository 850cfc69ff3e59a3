//! The shapes of the REST API under `/api/v1`: what the server sends and
//! accepts, and what the front end's typed client reads and writes.

use serde::{Deserialize, Serialize};

use crate::Role;

pub mod money;
pub mod privacy;
pub mod stats;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Every error response has this body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_credentials`, `forbidden`.
    pub code: String,
    /// An English explanation for people reading API responses.
    pub message: String,
    /// The request field at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `possible_duplicate`: the open leads and cases about the same people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Vec<DuplicateHit>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NamedRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The logged-in user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The village of a village committee account.
    pub village: Option<NamedRef>,
    /// The agency of a partner agency account.
    pub agency: Option<NamedRef>,
}

/// An account as the admin sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub village: Option<NamedRef>,
    pub agency: Option<NamedRef>,
    pub disabled: bool,
    /// UTC unix milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Required for, and only for, a village committee account.
    #[serde(default)]
    pub village_id: Option<i64>,
    /// Required for, and only for, a partner agency account.
    #[serde(default)]
    pub agency_id: Option<i64>,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Village {
    pub id: i64,
    pub name: String,
    pub township: NamedRef,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Agency {
    pub id: i64,
    pub name: String,
    /// education, civil_affairs, legal_aid, youth_care, womens_federation, other
    pub kind: String,
    /// What the agency can be asked for, in a stable order.
    #[serde(default)]
    pub services: Vec<crate::referral::Service>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// UTC unix milliseconds.
    pub at: i64,
    pub actor: Option<NamedRef>,
    pub entity_type: String,
    pub entity_id: String,
    pub case_id: Option<i64>,
    pub action: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    pub status: String,
}

// ---- Leads and cases ----------------------------------------------------

use crate::case::{CaseAction, CaseState, Channel, PriorityGroup};
use crate::clock::StageSpan;

/// A person as entered on a lead.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub name: String,
    /// 18-character resident ID number, checked by its check digit.
    #[serde(default)]
    pub id_number: Option<String>,
    pub village_id: i64,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub priority_groups: Vec<PriorityGroup>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLead {
    pub channel: Channel,
    /// The referring department for an internal referral (e.g. 刑检部门).
    #[serde(default)]
    pub channel_detail: Option<String>,
    /// YYYY-MM-DD, not in the future (China time).
    pub received_on: String,
    pub reporter: String,
    pub summary: String,
    pub people: Vec<PersonInput>,
    /// Create it even though the same person already has an open lead or case.
    #[serde(default)]
    pub confirm_duplicate: bool,
}

/// A person as shown: ID number and phone masked unless the viewer needs them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    pub id_number: Option<String>,
    pub village: NamedRef,
    pub phone: Option<String>,
    pub priority_groups: Vec<PriorityGroup>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LeadView {
    pub id: i64,
    pub channel: Channel,
    pub channel_detail: Option<String>,
    pub received_on: String,
    pub reporter: String,
    pub summary: String,
    pub status: crate::case::LeadStatus,
    pub decline_reason: Option<String>,
    pub case_id: Option<i64>,
    pub people: Vec<PersonView>,
    pub created_by: NamedRef,
    pub created_at: i64,
    /// Whether `people` are in full: for the officer who recorded the lead or
    /// is assigned its case, and supervisors (`domain::privacy::sees_lead_in_full`).
    #[serde(default)]
    pub full_details: bool,
}

/// Another open lead or case about the same person, found before creating a duplicate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DuplicateHit {
    pub person_name: String,
    /// "lead" or "case"
    pub kind: String,
    pub id: i64,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptLead {
    /// Ask for the green channel (accept, review, approve and pay within about two days).
    #[serde(default)]
    pub green_channel: bool,
    /// The related criminal case, e.g. 寿公刑〔2026〕112号.
    #[serde(default)]
    pub criminal_case_ref: Option<String>,
    /// Which of the lead's people applies (an index into `people`; default the first).
    #[serde(default)]
    pub applicant_index: usize,
    /// Another of the lead's people acting for the applicant (a child's guardian).
    #[serde(default)]
    pub agent_index: Option<usize>,
    /// The agent's relationship to the applicant, e.g. 母亲.
    #[serde(default)]
    pub agent_relationship: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeclineLead {
    pub reason: String,
}

/// A supervisor turns down the green channel an officer asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeclineGreenChannel {
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: CaseAction,
    /// For `propose`: the amount of aid in fen.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// For `propose`: the reasoning; for approve, refuse and withdraw: the comment.
    #[serde(default)]
    pub comment: Option<String>,
}

/// A case in a list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CaseSummary {
    pub id: i64,
    pub number: String,
    pub state: CaseState,
    /// Masked (张*明) in lists.
    pub applicant_name: String,
    pub village: NamedRef,
    pub officer: NamedRef,
    pub priority_groups: Vec<PriorityGroup>,
    /// The officer asked for the green channel.
    pub green_channel: bool,
    /// A supervisor confirmed it.
    pub green_channel_confirmed: bool,
    /// UTC ms by which a green-channel case should be paid.
    pub green_channel_deadline: Option<i64>,
    pub proposed_amount_fen: Option<i64>,
    pub accepted_at: i64,
    pub updated_at: i64,
    /// UTC ms when the case entered its current state.
    pub state_since: i64,
    /// UTC ms when the current stage runs past its limit (none in final states).
    pub stage_due_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CasePage {
    pub items: Vec<CaseSummary>,
    /// How many cases match, counted up to a cap (10,000): a broad filter
    /// over a million cases stays fast.
    pub total: i64,
    /// False when counting stopped at the cap: more than `total` cases match.
    pub total_exact: bool,
    pub page: i64,
    pub per_page: i64,
}

/// One step of a case's history.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CaseEvent {
    pub at: i64,
    pub actor: NamedRef,
    pub action: String,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    pub amount_fen: Option<i64>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CaseDetail {
    pub id: i64,
    pub number: String,
    pub state: CaseState,
    pub lead_id: i64,
    pub channel: Channel,
    pub summary: String,
    pub applicant: PersonView,
    pub agent: Option<PersonView>,
    pub agent_relationship: Option<String>,
    pub criminal_case_ref: Option<String>,
    pub village: NamedRef,
    pub officer: NamedRef,
    pub green_channel: bool,
    pub green_channel_confirmed: bool,
    pub green_channel_deadline: Option<i64>,
    /// A supervisor may confirm the green channel now.
    pub can_confirm_green_channel: bool,
    pub proposed_amount_fen: Option<i64>,
    pub proposal_reasoning: Option<String>,
    pub approved_amount_fen: Option<i64>,
    pub accepted_at: i64,
    /// UTC ms when the case entered its current state.
    pub state_since: i64,
    /// Time spent in each stage, oldest first, with its limit.
    pub stages: Vec<StageSpan>,
    /// What the viewer may do now.
    pub actions: Vec<CaseAction>,
    /// Oldest first.
    pub timeline: Vec<CaseEvent>,
    /// A child is in this case: every read is logged (README "Privacy").
    #[serde(default)]
    pub protected: bool,
    /// Names, ID numbers and phone numbers are shown in full to this viewer.
    #[serde(default)]
    pub full_details: bool,
    /// The viewer opened the case through a break-the-glass grant ending then.
    #[serde(default)]
    pub access_expires_at: Option<i64>,
    /// The viewer may print the case in full (with a stated purpose).
    #[serde(default)]
    pub can_print_full: bool,
    /// When the case's personal details were archived, if they were.
    #[serde(default)]
    pub archived_at: Option<i64>,
}

// ---- Referrals to partner agencies ("1+N") ----------------------------------

use crate::referral::{ReferralAction, ReferralState, Service};

/// An admin adds a partner agency.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAgency {
    pub name: String,
    /// education, civil_affairs, legal_aid, youth_care, womens_federation, other
    pub kind: String,
    #[serde(default)]
    pub services: Vec<Service>,
}

/// An admin sets the services an agency offers (replacing the old set).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgencyServices {
    pub services: Vec<Service>,
}

/// The consent of a person (or their guardian) to share their details with partner agencies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewConsent {
    /// The case's applicant or agent.
    pub person_id: i64,
    /// Who signed, e.g. the guardian's name.
    pub given_by: String,
    /// The signer's relationship to the person, e.g. 本人 or 母亲.
    pub relationship: String,
    /// YYYY-MM-DD, not in the future (China time).
    pub signed_on: String,
    /// What may be shared, and with whom.
    #[serde(default)]
    pub scope_note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConsentView {
    pub id: i64,
    pub person: NamedRef,
    pub given_by: String,
    pub relationship: String,
    pub signed_on: String,
    pub scope_note: Option<String>,
    pub recorded_by: NamedRef,
    pub recorded_at: i64,
}

/// The case's officer refers a person to a partner agency.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    /// The case's applicant or agent; needs a recorded consent.
    pub person_id: i64,
    pub agency_id: i64,
    /// One the agency offers.
    pub service: Service,
    /// What the person needs.
    pub note: String,
    /// YYYY-MM-DD, today or later (China time).
    pub due_on: String,
}

/// A reason (decline), a progress note, or the outcome (complete).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReferralText {
    pub text: String,
}

/// One step of a referral's history.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReferralUpdate {
    pub at: i64,
    pub actor: NamedRef,
    /// sent, accept, decline, progress, complete or withdraw
    pub action: String,
    pub to_state: ReferralState,
    pub note: Option<String>,
}

/// A referral. Partner agencies get only what they need to help: the
/// person's name, village and phone, and the need — never the case number,
/// the criminal case or the case summary (those fields are left out).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReferralView {
    pub id: i64,
    /// For the procuratorate's own users only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<i64>,
    /// For the procuratorate's own users only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_number: Option<String>,
    pub person_name: String,
    pub village: String,
    pub phone: Option<String>,
    pub agency: NamedRef,
    pub service: Service,
    pub note: String,
    pub due_on: String,
    pub state: ReferralState,
    /// Not finished and past its due date (China time).
    pub overdue: bool,
    /// The officer who referred; the partner's contact at the procuratorate.
    pub referred_by: NamedRef,
    pub created_at: i64,
    pub outcome: Option<String>,
    pub decline_reason: Option<String>,
    /// Why the referring officer took it back.
    pub withdraw_reason: Option<String>,
    /// What the viewer may do now.
    pub actions: Vec<ReferralAction>,
    /// Oldest first.
    pub updates: Vec<ReferralUpdate>,
}

/// The referral part of a case: consents, referrals, and whether the viewer may refer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CaseReferrals {
    pub consents: Vec<ConsentView>,
    pub referrals: Vec<ReferralView>,
    /// The viewer is the case's officer and the case is not over.
    pub can_refer: bool,
    /// The people of the case who can be referred: applicant and agent.
    pub people: Vec<NamedRef>,
}
