//! The JSON shapes of aid money: plans, supervision, payments, spending and
//! the money view of a case.
//!
//! A village committee gets the same shapes with less in them: no case
//! number, no criminal case, no summary, and no ID numbers (these shapes
//! carry none at all).

use serde::{Deserialize, Serialize};

use super::NamedRef;
use crate::payment::{
    DocumentKind, InstallmentInput, Ledger, PaymentMethod, PlanKind, Purpose, SpendingStatus,
};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Makes a plan, or changes one. Once an installment is paid, only a
/// supervisor may change the plan, with a reason, and only the unpaid part:
/// `installments` then lists the new unpaid installments, which must add up to
/// the approved amount less what is paid.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub kind: PlanKind,
    /// Supervised aid (agreement, pledge, village committee confirms spending).
    /// Defaults to yes when the applicant is a minor.
    #[serde(default)]
    pub supervised: Option<bool>,
    pub installments: Vec<InstallmentInput>,
    /// Required when payments have started.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The supervision agreement and pledge, signed by the guardian or agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SupervisionInput {
    /// The case's agent applicant (guardian), or the applicant.
    pub guardian_person_id: i64,
    /// YYYY-MM-DD, not before the decision, not in the future.
    pub agreement_signed_on: String,
    pub pledge_signed_on: String,
    /// Uploaded scans (POST …/money/documents?kind=agreement), at least one.
    pub agreement_document_ids: Vec<i64>,
    pub pledge_document_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// YYYY-MM-DD, not before the decision, not in the future.
    pub paid_on: String,
    pub method: PaymentMethod,
    /// Bank transfer number or receipt number.
    pub reference: String,
}

/// A reason (release override) or a comment (query, answer).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoneyText {
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SpendingInput {
    /// Whole fen, more than zero, at most the balance.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub amount_fen: serde_json::Number,
    pub purpose: Purpose,
    /// YYYY-MM-DD, not before the decision, not in the future.
    pub spent_on: String,
    #[serde(default)]
    pub note: Option<String>,
    /// An uploaded receipt photo (kind `receipt`).
    #[serde(default)]
    pub receipt_document_id: Option<i64>,
}

/// What the family said when an officer checked a payment by phone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PhoneCheckInput {
    /// YYYY-MM-DD, not in the future.
    pub checked_on: String,
    /// Who answered, e.g. 李建军（父亲）.
    pub spoke_with: String,
    /// What they say they received, in fen.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub said_received_fen: serde_json::Number,
    #[serde(default)]
    pub note: Option<String>,
}

/// An uploaded scan or photo.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MoneyDocument {
    pub id: i64,
    pub kind: DocumentKind,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PhoneCheckView {
    pub id: i64,
    pub checked_on: String,
    pub spoke_with: String,
    pub said_received_fen: i64,
    pub note: Option<String>,
    pub checked_by: NamedRef,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PaymentView {
    pub id: i64,
    pub paid_on: String,
    pub method: PaymentMethod,
    pub reference: String,
    pub amount_fen: i64,
    pub recorded_by: NamedRef,
    pub checks: Vec<PhoneCheckView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InstallmentView {
    pub id: i64,
    /// 1, 2, … in the order of the plan.
    pub seq: i64,
    pub due_on: String,
    pub amount_fen: i64,
    pub payment: Option<PaymentView>,
    /// A supervisor released it without proof of use, with this reason.
    pub release_override: Option<String>,
    /// The viewer may record it as paid now.
    pub can_pay: bool,
    /// Why it cannot be paid yet (a stable code), when unpaid.
    pub blocked_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PlanView {
    pub kind: PlanKind,
    pub supervised: bool,
    pub installments: Vec<InstallmentView>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SupervisionView {
    pub guardian: NamedRef,
    pub agreement_signed_on: String,
    pub pledge_signed_on: String,
    pub documents: Vec<MoneyDocument>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SpendingNote {
    pub at: i64,
    pub actor: NamedRef,
    /// recorded, confirm, query or answer
    pub action: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SpendingView {
    pub id: i64,
    pub amount_fen: i64,
    pub purpose: Purpose,
    pub spent_on: String,
    pub note: Option<String>,
    pub receipt: Option<MoneyDocument>,
    pub status: SpendingStatus,
    pub entered_by: NamedRef,
    pub notes: Vec<SpendingNote>,
    /// The viewer (the child's village committee) may confirm or query it now.
    pub can_confirm: bool,
    /// The viewer (the case's officer) may answer the query now.
    pub can_answer: bool,
}

/// One line of the printable money timeline, in date order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MoneyEvent {
    /// YYYY-MM-DD (China time).
    pub on: String,
    /// decision, plan, agreement, pledge, payment, spending, confirmed, queried, answered, override, phone_check
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub text: Option<String>,
    /// Paid less spent after this line, for payments and spending.
    pub balance_fen: Option<i64>,
}

/// What the viewer may do on the money of a case now.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MoneyPermissions {
    pub plan: bool,
    pub supervision: bool,
    pub spend: bool,
    pub phone_check: bool,
    pub override_release: bool,
}

/// The money of a case, from the decision to the balance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MoneyView {
    pub case_id: i64,
    /// For the procuratorate's own users only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_number: Option<String>,
    pub child: NamedRef,
    pub village: NamedRef,
    pub officer: NamedRef,
    /// The approval date (YYYY-MM-DD); nothing is dated before it.
    pub decided_on: Option<String>,
    /// The applicant is a minor today.
    pub minor: bool,
    /// The case's applicant and agent, for choosing the guardian.
    pub people: Vec<NamedRef>,
    pub ledger: Ledger,
    pub balance_fen: i64,
    pub plan: Option<PlanView>,
    pub supervision: Option<SupervisionView>,
    pub spending: Vec<SpendingView>,
    pub timeline: Vec<MoneyEvent>,
    pub can: MoneyPermissions,
}

/// A supervised child in a village committee's (or officer's) list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SupervisedChild {
    pub case_id: i64,
    pub child: NamedRef,
    pub village: NamedRef,
    pub guardian: Option<String>,
    pub ledger: Ledger,
    pub balance_fen: i64,
    pub installments_total: i64,
    pub installments_paid: i64,
    /// The next unpaid installment: (due date, amount).
    pub next_due_on: Option<String>,
    pub next_amount_fen: Option<i64>,
    /// Spending records waiting for the village committee.
    pub waiting: Vec<SpendingView>,
}
