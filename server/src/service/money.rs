//! Aid money from the decision to the balance: the payment plan, the
//! supervision agreement and pledge, payments, spending records and the
//! village committee's confirmations, release on proof of use, phone checks.
//!
//! Every change locks the case first (see `storage::money::lock_case`), reads
//! what it checks inside the same transaction, moves the running totals with
//! conditional UPDATEs, and writes a line on the case timeline and an audit
//! entry before it commits — so the ledger holds under concurrent requests on
//! one or several server instances, and nothing is half-written.
//!
//! Scope: officers and supervisors see every case's money; a village
//! committee sees only supervised children of its own village, and anything
//! else is "not found". Only a case's own officer changes its money.

use std::collections::HashMap;

use domain::api::money::{
    InstallmentView, MoneyDocument, MoneyEvent, MoneyPermissions, MoneyText, MoneyView,
    PaymentInput, PaymentView, PhoneCheckInput, PhoneCheckView, PlanInput, PlanView, SpendingInput,
    SpendingNote, SpendingView, SupervisedChild, SupervisionInput, SupervisionView,
};
use domain::api::NamedRef;
use domain::case::{groups_from_text, CaseState, PriorityGroup};
use domain::date::{china_date, format_date, parse_date};
use domain::idcard::ResidentId;
use domain::payment::{
    amount_from_json, check_plan, may, sniff_image, DocumentKind, Ledger, MoneyAction,
    PaymentMethod, PlanKind, Purpose, SpendingStatus,
};
use domain::privacy::ReadKind;
use domain::screening::{birth_date, is_minor_on};
use domain::{Fen, Role};
use serde_json::json;

use super::audit::{self, Change};
use super::cases::{invalid, optional, trimmed};
use super::privacy::{self, Client};
use super::rollup;
use super::{Actor, ServiceError, ServiceResult};
use crate::storage::cases::{self as case_store, CaseRow, NewEvent};
use crate::storage::money::{
    self as store, DocumentRow, NewDocument, NewPayment, NewPhoneCheck, NewSpending, PlanRow,
    SupervisedScope,
};
use crate::storage::{is_unique_violation, now_ms, Db, Tx};

fn today() -> String {
    format_date(china_date(now_ms()))
}

fn internal(what: &str) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("unknown {what} in database"))
}

fn conflict(code: &'static str, message: &str) -> ServiceError {
    ServiceError::Conflict {
        code,
        message: message.into(),
    }
}

fn require(actor: &Actor, action: MoneyAction) -> ServiceResult<()> {
    if may(actor.role, action) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

fn ledger(plan: &PlanRow) -> Ledger {
    Ledger {
        approved_fen: plan.approved_fen,
        paid_fen: plan.paid_fen,
        spent_fen: plan.spent_fen,
        confirmed_fen: plan.confirmed_fen,
    }
}

/// Whether the viewer may see this case's money at all. A village committee
/// sees only supervised children of its own village; for everyone else in
/// reach of money the case exists.
fn visible(actor: &Actor, case: &CaseRow, plan: Option<&PlanRow>) -> bool {
    match actor.role {
        Role::Officer | Role::Supervisor => true,
        Role::VillageCommittee => {
            actor.village_id == Some(case.village_id) && plan.is_some_and(|p| p.supervised)
        }
        Role::Partner | Role::Admin => false,
    }
}

/// A child's money and papers are need to know like the case page: another
/// officer needs a break-the-glass grant (README "Privacy").
async fn outside_team_needs_grant(db: &Db, actor: &Actor, case: &CaseRow) -> ServiceResult<()> {
    if actor.role == Role::Officer && actor.user_id != case.officer_id {
        super::privacy::case_access(db, actor, case).await?;
    }
    Ok(())
}

/// For changes only the case's own officer makes; other officers are told no.
fn own_officer(actor: &Actor, case: &CaseRow) -> ServiceResult<()> {
    if actor.role == Role::Officer && actor.user_id != case.officer_id {
        return Err(ServiceError::Forbidden);
    }
    Ok(())
}

/// A date in the request: valid, not before the decision, and (for things that
/// happened) not in the future.
fn event_date(
    text: &str,
    field: &'static str,
    decided_on: &str,
    past_only: bool,
) -> ServiceResult<String> {
    let date = parse_date(text)
        .map(format_date)
        .ok_or_else(|| invalid(field, "invalid_date", "must be a date YYYY-MM-DD"))?;
    if date.as_str() < decided_on {
        return Err(invalid(
            field,
            "date_before_decision",
            "cannot be before the decision",
        ));
    }
    if past_only && date > today() {
        return Err(invalid(field, "date_in_future", "cannot be in the future"));
    }
    Ok(date)
}

/// The applicant is under 18 today (by the ID number), or was entered as a minor.
fn is_minor(id_number: Option<&str>, groups: &str) -> bool {
    let by_id = id_number
        .and_then(|n| ResidentId::parse(n).ok())
        .and_then(|id| birth_date(&id))
        .map(|birth| is_minor_on(birth, china_date(now_ms())));
    by_id.unwrap_or_else(|| groups_from_text(groups).contains(&PriorityGroup::Minor))
}

/// The case, locked for a money change, and its decision date.
struct Locked {
    case: CaseRow,
    decided_on: String,
    plan: Option<PlanRow>,
}

async fn lock(tx: &mut Tx, actor: &Actor, case_id: i64) -> ServiceResult<Locked> {
    if !store::lock_case(tx, case_id).await? {
        return Err(ServiceError::NotFound);
    }
    let case = case_store::find_case_tx(tx, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let plan = store::find_plan_tx(tx, case_id).await?;
    if !visible(actor, &case, plan.as_ref()) {
        return Err(ServiceError::NotFound);
    }
    let decided_on = store::decided_at_tx(tx, case_id)
        .await?
        .map(|at| format_date(china_date(at)))
        .unwrap_or_else(|| format_date(china_date(case.accepted_at)));
    Ok(Locked {
        case,
        decided_on,
        plan,
    })
}

fn need_plan(locked: &Locked) -> ServiceResult<&PlanRow> {
    locked
        .plan
        .as_ref()
        .ok_or_else(|| conflict("no_plan", "make a payment plan first"))
}

/// A line on the case timeline; the case keeps its state.
async fn case_event(
    tx: &mut Tx,
    actor: &Actor,
    case: &CaseRow,
    action: &str,
    amount_fen: Option<i64>,
    comment: Option<&str>,
    at: i64,
) -> ServiceResult<()> {
    case_store::insert_event(
        tx,
        &NewEvent {
            case_id: case.id,
            at,
            actor_id: actor.user_id,
            action,
            from_state: Some(&case.state),
            to_state: &case.state,
            amount_fen,
            comment,
        },
    )
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn audit_money(
    tx: &mut Tx,
    actor: &Actor,
    entity_type: &str,
    entity_id: i64,
    case_id: i64,
    action: &str,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> ServiceResult<()> {
    audit::record(
        tx,
        Some(actor),
        Change {
            entity_type,
            entity_id: entity_id.to_string(),
            case_id: Some(case_id),
            action,
            before,
            after: Some(after),
        },
    )
    .await
}

// ---- Plans ------------------------------------------------------------------

/// Makes the plan of an approved case, or changes it. Before any payment the
/// case's officer or a supervisor may; afterwards only a supervisor, with a
/// reason, and only the unpaid installments change.
#[tracing::instrument(skip_all, fields(case_id = case_id))]
pub async fn set_plan(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    input: PlanInput,
    reader: Option<&Client>,
) -> ServiceResult<MoneyView> {
    require(actor, MoneyAction::Plan)?;
    let reason = optional(&input.reason);
    if reason.as_ref().is_some_and(|r| r.chars().count() > 2000) {
        return Err(invalid("reason", "too_long", "is too long"));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let locked = lock(&mut tx, actor, case_id).await?;
    own_officer(actor, &locked.case)?;
    let state = CaseState::parse(&locked.case.state).ok_or_else(|| internal("case state"))?;
    if !matches!(
        state,
        CaseState::Approved | CaseState::Paying | CaseState::FollowingUp
    ) {
        return Err(conflict(
            "case_not_approved",
            "a payment plan is made once the aid is approved",
        ));
    }
    let approved = locked
        .case
        .approved_amount_fen
        .ok_or_else(|| conflict("case_not_approved", "the case has no approved amount"))?;
    let paid = locked.plan.as_ref().map_or(0, |p| p.paid_fen);
    let started = paid > 0;
    if started {
        if !may(actor.role, MoneyAction::ChangeStartedPlan) {
            return Err(conflict(
                "plan_started",
                "payments have started: only a supervisor may change the plan",
            ));
        }
        if reason.is_none() {
            return Err(invalid(
                "reason",
                "reason_required",
                "say why the plan changes after payments started",
            ));
        }
    }
    if paid >= approved {
        return Err(conflict("plan_fully_paid", "everything approved is paid"));
    }
    let checked = check_plan(
        input.kind,
        &input.installments,
        Fen(approved - paid),
        &locked.decided_on,
    )?;
    let before_installments = store::installments_tx(&mut tx, case_id).await?;
    let applicant = case_store::find_person(db, locked.case.applicant_id).await?;
    let minor = applicant
        .as_ref()
        .is_some_and(|p| is_minor(p.id_number.as_deref(), &p.priority_groups));
    let supervised = input
        .supervised
        .or(locked.plan.as_ref().map(|p| p.supervised))
        .unwrap_or(minor);
    match &locked.plan {
        None => {
            store::insert_plan(
                &mut tx,
                case_id,
                input.kind.as_str(),
                supervised,
                approved,
                actor.user_id,
                now,
            )
            .await?
        }
        Some(_) => {
            store::update_plan(&mut tx, case_id, input.kind.as_str(), supervised, now).await?
        }
    }
    store::delete_unpaid_installments(&mut tx, case_id).await?;
    let first_seq = before_installments
        .iter()
        .filter(|i| i.payment_id.is_some())
        .map(|i| i.seq)
        .max()
        .unwrap_or(0)
        + 1;
    for (n, inst) in checked.iter().enumerate() {
        store::insert_installment(
            &mut tx,
            case_id,
            first_seq + n as i64,
            &inst.due_on,
            inst.amount.0,
        )
        .await?;
    }
    let after_list: Vec<_> = checked
        .iter()
        .map(|i| json!({ "due_on": i.due_on, "amount_fen": i.amount.0 }))
        .collect();
    let before_list: Vec<_> = before_installments
        .iter()
        .map(|i| json!({ "seq": i.seq, "due_on": i.due_on, "amount_fen": i.amount_fen, "paid": i.payment_id.is_some() }))
        .collect();
    let action = if locked.plan.is_none() {
        "money_plan_made"
    } else {
        "money_plan_changed"
    };
    case_event(
        &mut tx,
        actor,
        &locked.case,
        action,
        Some(approved - paid),
        reason.as_deref(),
        now,
    )
    .await?;
    audit_money(
        &mut tx,
        actor,
        "money_plan",
        case_id,
        case_id,
        if locked.plan.is_none() {
            "money.plan_made"
        } else {
            "money.plan_changed"
        },
        locked.plan.as_ref().map(|p| json!({ "kind": p.kind, "supervised": p.supervised, "installments": before_list })),
        json!({ "kind": input.kind.as_str(), "supervised": supervised, "unpaid_installments": after_list, "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    view(db, actor, case_id, reader).await
}

// ---- Supervision and documents ---------------------------------------------

/// Uploads a scan of the agreement or pledge (the case's officer) or a receipt
/// photo (the officer or the child's village committee). Judged by its bytes.
#[tracing::instrument(skip_all, fields(case_id = case_id, size = bytes.len()))]
pub async fn upload_document(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    kind: DocumentKind,
    bytes: &[u8],
) -> ServiceResult<MoneyDocument> {
    require(
        actor,
        if kind == DocumentKind::Receipt {
            MoneyAction::RecordSpending
        } else {
            MoneyAction::Plan
        },
    )?;
    let content_type = sniff_image(bytes)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let locked = lock(&mut tx, actor, case_id).await?;
    own_officer(actor, &locked.case)?;
    need_plan(&locked)?;
    let id = store::insert_document(
        &mut tx,
        &NewDocument {
            case_id,
            kind: kind.as_str(),
            content_type,
            content: bytes,
            uploaded_by: actor.user_id,
            now,
        },
    )
    .await?;
    audit_money(
        &mut tx,
        actor,
        "money_document",
        id,
        case_id,
        "money.document_uploaded",
        None,
        json!({ "kind": kind.as_str(), "content_type": content_type, "size": bytes.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(MoneyDocument {
        id,
        kind,
        content_type: content_type.into(),
        size: bytes.len() as i64,
        uploaded_at: now,
    })
}

/// A document's type and bytes. A village committee gets receipts of its own
/// children only: scans of the agreement carry the guardian's ID number.
pub async fn get_document(
    db: &Db,
    actor: &Actor,
    id: i64,
    client: &super::privacy::Client,
) -> ServiceResult<(String, Vec<u8>)> {
    require(actor, MoneyAction::Read)?;
    let doc = store::find_document(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let case = case_store::find_case(db, doc.case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let plan = store::find_plan(db, doc.case_id).await?;
    if !visible(actor, &case, plan.as_ref())
        || (actor.role == Role::VillageCommittee && doc.kind != DocumentKind::Receipt.as_str())
    {
        return Err(ServiceError::NotFound);
    }
    outside_team_needs_grant(db, actor, &case).await?;
    let content = store::document_content(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // Logged before it is given out: a child's supervision papers and receipts.
    super::privacy::record_file_read(
        db,
        actor,
        doc.case_id,
        domain::privacy::ReadKind::Document,
        &id.to_string(),
        client,
    )
    .await?;
    Ok((doc.content_type, content))
}

/// Records the guardian's signed supervision agreement and pledge with their scans.
#[tracing::instrument(skip_all, fields(case_id = case_id))]
pub async fn record_supervision(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    input: SupervisionInput,
    reader: Option<&Client>,
) -> ServiceResult<MoneyView> {
    require(actor, MoneyAction::Plan)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let locked = lock(&mut tx, actor, case_id).await?;
    own_officer(actor, &locked.case)?;
    let plan = need_plan(&locked)?;
    if !plan.supervised {
        return Err(conflict("not_supervised", "the plan is not supervised aid"));
    }
    let case = &locked.case;
    if input.guardian_person_id != case.applicant_id
        && Some(input.guardian_person_id) != case.agent_id
    {
        return Err(invalid(
            "guardian_person_id",
            "not_in_case",
            "must be the applicant or the agent of this case",
        ));
    }
    let agreement_on = event_date(
        &input.agreement_signed_on,
        "agreement_signed_on",
        &locked.decided_on,
        true,
    )?;
    let pledge_on = event_date(
        &input.pledge_signed_on,
        "pledge_signed_on",
        &locked.decided_on,
        true,
    )?;
    let mut ids = Vec::new();
    for (field, kind, list) in [
        (
            "agreement_document_ids",
            DocumentKind::Agreement,
            &input.agreement_document_ids,
        ),
        (
            "pledge_document_ids",
            DocumentKind::Pledge,
            &input.pledge_document_ids,
        ),
    ] {
        if list.is_empty() {
            return Err(invalid(field, "scan_required", "upload a scan or photo"));
        }
        for id in list {
            let doc: Option<DocumentRow> = store::find_document_tx(&mut tx, *id).await?;
            if !doc.is_some_and(|d| d.case_id == case_id && d.kind == kind.as_str()) {
                return Err(invalid(
                    field,
                    "unknown_document",
                    "no such scan of this case",
                ));
            }
            ids.push(*id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    store::upsert_supervision(
        &mut tx,
        case_id,
        input.guardian_person_id,
        &agreement_on,
        &pledge_on,
        &ids,
        actor.user_id,
        now,
    )
    .await?;
    case_event(
        &mut tx,
        actor,
        case,
        "money_supervision_recorded",
        None,
        None,
        now,
    )
    .await?;
    audit_money(
        &mut tx,
        actor,
        "money_supervision",
        case_id,
        case_id,
        "money.supervision_recorded",
        None,
        json!({ "guardian_person_id": input.guardian_person_id, "agreement_signed_on": agreement_on, "pledge_signed_on": pledge_on, "document_ids": ids }),
    )
    .await?;
    tx.commit().await?;
    view(db, actor, case_id, reader).await
}

// ---- Payments ---------------------------------------------------------------

/// Why an unpaid installment cannot be paid now, as a stable code and message.
async fn payment_blocker(
    tx: &mut Tx,
    plan: &PlanRow,
    installment: &store::InstallmentRow,
    earlier_unpaid: bool,
) -> ServiceResult<Option<(&'static str, &'static str)>> {
    if installment.payment_id.is_some() {
        return Ok(Some(("already_paid", "this installment is already paid")));
    }
    if earlier_unpaid {
        return Ok(Some((
            "earlier_installment_unpaid",
            "pay the earlier installments first",
        )));
    }
    if plan.supervised {
        let kinds = store::supervision_document_kinds_tx(tx, plan.case_id).await?;
        if !(kinds.iter().any(|k| k == "agreement") && kinds.iter().any(|k| k == "pledge")) {
            return Ok(Some((
                "supervision_required",
                "record the signed supervision agreement and pledge with their scans first",
            )));
        }
        if !ledger(plan).proof_of_use_complete() && installment.override_reason.is_none() {
            return Ok(Some((
                "proof_of_use_required",
                "the village committee must confirm the spending of the earlier installments first",
            )));
        }
    }
    Ok(None)
}

/// The case's officer records an installment as paid. The same installment
/// is never paid twice and nothing is paid beyond the approved amount.
#[tracing::instrument(skip_all, fields(installment_id = installment_id))]
pub async fn pay_installment(
    db: &Db,
    actor: &Actor,
    installment_id: i64,
    input: PaymentInput,
    reader: Option<&Client>,
) -> ServiceResult<MoneyView> {
    require(actor, MoneyAction::Pay)?;
    let reference = trimmed(&input.reference, "reference", 100)?;
    let case_id = store::installment_case(db, installment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let locked = lock(&mut tx, actor, case_id).await?;
    own_officer(actor, &locked.case)?;
    let plan = need_plan(&locked)?.clone();
    let paid_on = event_date(&input.paid_on, "paid_on", &locked.decided_on, true)?;
    let state = CaseState::parse(&locked.case.state).ok_or_else(|| internal("case state"))?;
    if !matches!(state, CaseState::Paying | CaseState::FollowingUp) {
        return Err(conflict(
            "case_not_paying",
            "start the payment of the case first",
        ));
    }
    let installments = store::installments_tx(&mut tx, case_id).await?;
    let installment = installments
        .iter()
        .find(|i| i.id == installment_id)
        .ok_or(ServiceError::NotFound)?;
    let earlier_unpaid = installments
        .iter()
        .any(|i| i.seq < installment.seq && i.payment_id.is_none());
    if let Some((code, message)) =
        payment_blocker(&mut tx, &plan, installment, earlier_unpaid).await?
    {
        return Err(conflict(code, message));
    }
    let counted = rollup::before_write(&mut tx, &[case_id], &[]).await?;
    let payment_id = match store::insert_payment(
        &mut tx,
        &NewPayment {
            case_id,
            installment_id,
            amount_fen: installment.amount_fen,
            paid_on: &paid_on,
            method: input.method.as_str(),
            reference: &reference,
            recorded_by: actor.user_id,
            now,
        },
    )
    .await
    {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(conflict("already_paid", "this installment is already paid"))
        }
        Err(e) => return Err(e.into()),
    };
    if !store::add_paid(&mut tx, case_id, installment.amount_fen, now).await? {
        return Err(conflict(
            "over_approved",
            "the payment would exceed the approved amount",
        ));
    }
    let comment = format!(
        "#{} {} {}",
        installment.seq,
        input.method.as_str(),
        reference
    );
    case_event(
        &mut tx,
        actor,
        &locked.case,
        "money_paid",
        Some(installment.amount_fen),
        Some(&comment),
        now,
    )
    .await?;
    counted.after_write(&mut tx).await?;
    audit_money(
        &mut tx,
        actor,
        "money_payment",
        payment_id,
        case_id,
        "money.paid",
        Some(json!({ "paid_fen": plan.paid_fen })),
        json!({ "installment_id": installment_id, "seq": installment.seq, "amount_fen": installment.amount_fen, "paid_on": paid_on, "method": input.method.as_str(), "reference": reference, "paid_fen": plan.paid_fen + installment.amount_fen, "release_override": installment.override_reason }),
    )
    .await?;
    tx.commit().await?;
    view(db, actor, case_id, reader).await
}

/// A supervisor releases the next installment of supervised aid although the
/// spending of the earlier ones is not confirmed, with a written reason.
#[tracing::instrument(skip_all, fields(installment_id = installment_id))]
pub async fn override_release(
    db: &Db,
    actor: &Actor,
    installment_id: i64,
    input: MoneyText,
    reader: Option<&Client>,
) -> ServiceResult<MoneyView> {
    require(actor, MoneyAction::OverrideRelease)?;
    let reason = trimmed(&input.text, "text", 2000)?;
    let case_id = store::installment_case(db, installment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let locked = lock(&mut tx, actor, case_id).await?;
    need_plan(&locked)?;
    if !store::set_override(&mut tx, installment_id, &reason, actor.user_id, now).await? {
        return Err(conflict("already_paid", "this installment is already paid"));
    }
    case_event(
        &mut tx,
        actor,
        &locked.case,
        "money_release_override",
        None,
        Some(&reason),
        now,
    )
    .await?;
    audit_money(
        &mut tx,
        actor,
        "money_installment",
        installment_id,
        case_id,
        "money.release_override",
        None,
        json!({ "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    view(db, actor, case_id, reader).await
}

/// The case's officer records what the family said on the phone about a payment.
#[tracing::instrument(skip_all, fields(payment_id = payment_id))]
pub async fn phone_check(
    db: &Db,
    actor: &Actor,
    payment_id: i64,
    input: PhoneCheckInput,
    reader: Option<&Client>,
) -> ServiceResult<MoneyView> {
    require(actor, MoneyAction::Pay)?;
    let spoke_with = trimmed(&input.spoke_with, "spoke_with", 50)?;
    let said = if input.said_received_fen.as_i64() == Some(0) {
        0
    } else {
        amount_from_json(&input.said_received_fen, "said_received_fen")?.0
    };
    let note = optional(&input.note);
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(invalid("note", "too_long", "is too long"));
    }
    let case_id = store::payment_case(db, payment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let locked = lock(&mut tx, actor, case_id).await?;
    own_officer(actor, &locked.case)?;
    let payment = store::find_payment_tx(&mut tx, payment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let checked_on = event_date(&input.checked_on, "checked_on", &payment.paid_on, true)?;
    let id = store::insert_phone_check(
        &mut tx,
        &NewPhoneCheck {
            payment_id,
            checked_on: &checked_on,
            spoke_with: &spoke_with,
            said_received_fen: said,
            note: note.as_deref(),
            checked_by: actor.user_id,
            now,
        },
    )
    .await?;
    case_event(
        &mut tx,
        actor,
        &locked.case,
        "money_phone_check",
        Some(said),
        note.as_deref(),
        now,
    )
    .await?;
    audit_money(
        &mut tx,
        actor,
        "money_phone_check",
        id,
        case_id,
        "money.phone_check",
        None,
        json!({ "payment_id": payment_id, "checked_on": checked_on, "said_received_fen": said, "paid_fen": payment.amount_fen }),
    )
    .await?;
    tx.commit().await?;
    view(db, actor, case_id, reader).await
}

// ---- Spending ---------------------------------------------------------------

/// The village committee or the case's officer records spending, up to the
/// balance (paid less spent) — checked by the UPDATE that moves the total.
#[tracing::instrument(skip_all, fields(case_id = case_id))]
pub async fn record_spending(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    input: SpendingInput,
    reader: Option<&Client>,
) -> ServiceResult<MoneyView> {
    require(actor, MoneyAction::RecordSpending)?;
    let amount = amount_from_json(&input.amount_fen, "amount_fen")?.0;
    let note = optional(&input.note);
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(invalid("note", "too_long", "is too long"));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let locked = lock(&mut tx, actor, case_id).await?;
    own_officer(actor, &locked.case)?;
    need_plan(&locked)?;
    let spent_on = event_date(&input.spent_on, "spent_on", &locked.decided_on, true)?;
    if let Some(doc_id) = input.receipt_document_id {
        let doc = store::find_document_tx(&mut tx, doc_id).await?;
        if !doc.is_some_and(|d| d.case_id == case_id && d.kind == DocumentKind::Receipt.as_str()) {
            return Err(invalid(
                "receipt_document_id",
                "unknown_document",
                "no such receipt photo of this case",
            ));
        }
    }
    if !store::add_spent(&mut tx, case_id, amount, now).await? {
        return Err(conflict(
            "over_balance",
            "the spending is more than the money paid and not yet spent",
        ));
    }
    let id = match store::insert_spending(
        &mut tx,
        &NewSpending {
            case_id,
            amount_fen: amount,
            purpose: input.purpose.as_str(),
            spent_on: &spent_on,
            note: note.as_deref(),
            receipt_document_id: input.receipt_document_id,
            entered_by: actor.user_id,
            now,
        },
    )
    .await
    {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(invalid(
                "receipt_document_id",
                "receipt_in_use",
                "this receipt belongs to another spending record",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    store::insert_spending_note(&mut tx, id, now, actor.user_id, "recorded", None).await?;
    case_event(
        &mut tx,
        actor,
        &locked.case,
        "money_spent",
        Some(amount),
        note.as_deref(),
        now,
    )
    .await?;
    audit_money(
        &mut tx,
        actor,
        "money_spending",
        id,
        case_id,
        "money.spending_recorded",
        None,
        json!({ "amount_fen": amount, "purpose": input.purpose.as_str(), "spent_on": spent_on, "receipt_document_id": input.receipt_document_id }),
    )
    .await?;
    tx.commit().await?;
    view(db, actor, case_id, reader).await
}

/// What a step on a spending record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendingStep {
    /// The village committee confirms a pending record.
    Confirm,
    /// The village committee queries a pending record, with a comment.
    Query,
    /// The case's officer answers a query; the record waits for the committee again.
    Answer,
}

impl SpendingStep {
    fn name(self) -> &'static str {
        match self {
            SpendingStep::Confirm => "confirm",
            SpendingStep::Query => "query",
            SpendingStep::Answer => "answer",
        }
    }
}

#[tracing::instrument(skip_all, fields(spending_id = spending_id, step = step.name()))]
pub async fn spending_step(
    db: &Db,
    actor: &Actor,
    spending_id: i64,
    step: SpendingStep,
    comment: Option<String>,
    reader: Option<&Client>,
) -> ServiceResult<MoneyView> {
    require(
        actor,
        if step == SpendingStep::Answer {
            MoneyAction::AnswerQuery
        } else {
            MoneyAction::ConfirmSpending
        },
    )?;
    let comment = match step {
        SpendingStep::Confirm => comment
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty()),
        _ => Some(trimmed(comment.as_deref().unwrap_or(""), "text", 1000)?),
    };
    let case_id = store::spending_case(db, spending_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let locked = lock(&mut tx, actor, case_id).await?;
    own_officer(actor, &locked.case)?;
    let record = store::find_spending_tx(&mut tx, spending_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (from, to) = match step {
        SpendingStep::Confirm => (SpendingStatus::Pending, SpendingStatus::Confirmed),
        SpendingStep::Query => (SpendingStatus::Pending, SpendingStatus::Queried),
        SpendingStep::Answer => (SpendingStatus::Queried, SpendingStatus::Pending),
    };
    if !store::set_spending_status(&mut tx, spending_id, from.as_str(), to.as_str(), now).await? {
        return Err(conflict(
            "spending_not_waiting",
            match step {
                SpendingStep::Answer => "the record has no open query",
                _ => "the record is not waiting for confirmation",
            },
        ));
    }
    if step == SpendingStep::Confirm
        && !store::add_confirmed(&mut tx, case_id, record.amount_fen, now).await?
    {
        return Err(conflict(
            "over_spent",
            "confirmed spending cannot exceed recorded spending",
        ));
    }
    store::insert_spending_note(
        &mut tx,
        spending_id,
        now,
        actor.user_id,
        step.name(),
        comment.as_deref(),
    )
    .await?;
    let event = match step {
        SpendingStep::Confirm => "money_spending_confirmed",
        SpendingStep::Query => "money_spending_queried",
        SpendingStep::Answer => "money_query_answered",
    };
    case_event(
        &mut tx,
        actor,
        &locked.case,
        event,
        Some(record.amount_fen),
        comment.as_deref(),
        now,
    )
    .await?;
    audit_money(
        &mut tx,
        actor,
        "money_spending",
        spending_id,
        case_id,
        match step {
            SpendingStep::Confirm => "money.spending_confirmed",
            SpendingStep::Query => "money.spending_queried",
            SpendingStep::Answer => "money.query_answered",
        },
        Some(json!({ "status": from.as_str() })),
        json!({ "status": to.as_str(), "comment": comment }),
    )
    .await?;
    tx.commit().await?;
    view(db, actor, case_id, reader).await
}

// ---- Views ------------------------------------------------------------------

fn document_view(row: DocumentRow) -> ServiceResult<MoneyDocument> {
    Ok(MoneyDocument {
        id: row.id,
        kind: DocumentKind::parse(&row.kind).ok_or_else(|| internal("document kind"))?,
        content_type: row.content_type,
        size: row.size,
        uploaded_at: row.uploaded_at,
    })
}

/// Opens the money section of a case for `client`: the money as the viewer
/// may see it, and for a child's case a line in the read log before it goes
/// out (README "Privacy").
pub async fn money_view(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    client: &Client,
) -> ServiceResult<MoneyView> {
    view(db, actor, case_id, Some(client)).await
}

/// What the viewer may see of a case's people on its money page, and whether
/// reads of it are logged.
struct MoneyAccess {
    full: bool,
    protected: bool,
    grant_id: Option<i64>,
}

/// Need to know on the money page, as on the case page: the case's team (and
/// another officer through a break-the-glass grant) sees names in full; the
/// child's village committee does too, since it confirms the spending of the
/// child it supervises. Another officer sees an ordinary case masked, and a
/// child's case not at all without a grant (`protected_case`).
async fn money_access(db: &Db, actor: &Actor, case: &CaseRow) -> ServiceResult<MoneyAccess> {
    match actor.role {
        Role::Officer | Role::Supervisor => {
            let access = privacy::case_access(db, actor, case).await?;
            Ok(MoneyAccess {
                full: access.full(),
                protected: access.protected,
                grant_id: access.grant.as_ref().map(|g| g.id),
            })
        }
        Role::VillageCommittee => Ok(MoneyAccess {
            full: true,
            protected: crate::storage::privacy::case_is_protected(db, case.id).await?,
            grant_id: None,
        }),
        Role::Partner | Role::Admin => Err(ServiceError::Forbidden),
    }
}

/// The money of a case as the viewer may see it, with its printable timeline.
/// `reader` is where the view goes, for the read log of a child's case;
/// `None` when no one reads it as such (the supervised list takes figures
/// from it, the demo loader writes through the same code).
async fn view(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    reader: Option<&Client>,
) -> ServiceResult<MoneyView> {
    require(actor, MoneyAction::Read)?;
    let case = case_store::find_case(db, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let plan = store::find_plan(db, case_id).await?;
    if !visible(actor, &case, plan.as_ref()) {
        return Err(ServiceError::NotFound);
    }
    let access = money_access(db, actor, &case).await?;
    let name = |text: String| {
        if access.full {
            text
        } else {
            domain::case::mask_name(&text)
        }
    };
    let committee = actor.role == Role::VillageCommittee;
    let own = actor.role == Role::Officer && actor.user_id == case.officer_id;
    let decided_at = store::decided_at(db, case_id).await?;
    let applicant = case_store::find_person(db, case.applicant_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let minor = is_minor(applicant.id_number.as_deref(), &applicant.priority_groups);
    let mut people = vec![NamedRef {
        id: applicant.id,
        name: name(applicant.name.clone()),
    }];
    if let Some(agent_id) = case.agent_id {
        if let Some(agent) = case_store::find_person(db, agent_id).await? {
            people.push(NamedRef {
                id: agent.id,
                name: name(agent.name),
            });
        }
    }
    let documents: HashMap<i64, DocumentRow> = store::case_documents(db, case_id)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let state = CaseState::parse(&case.state).ok_or_else(|| internal("case state"))?;
    let approved_state = matches!(
        state,
        CaseState::Approved | CaseState::Paying | CaseState::FollowingUp
    );
    let paying_state = matches!(state, CaseState::Paying | CaseState::FollowingUp);
    let mut timeline = Vec::new();
    if let (Some(at), Some(amount)) = (decided_at, case.approved_amount_fen) {
        timeline.push(MoneyEvent {
            on: format_date(china_date(at)),
            kind: "decision".into(),
            amount_fen: Some(amount),
            text: None,
            balance_fen: None,
        });
    }
    let ledger_now = plan.as_ref().map(ledger).unwrap_or(Ledger {
        approved_fen: case.approved_amount_fen.unwrap_or(0),
        ..Ledger::default()
    });

    let supervision = store::find_supervision(db, case_id).await?;
    let supervision_view = match &supervision {
        Some(s) => {
            let ids = store::supervision_document_ids(db, case_id).await?;
            let docs = if committee {
                Vec::new()
            } else {
                ids.iter()
                    .filter_map(|id| documents.get(id).cloned())
                    .map(document_view)
                    .collect::<ServiceResult<Vec<_>>>()?
            };
            timeline.push(MoneyEvent {
                on: s.agreement_signed_on.clone(),
                kind: "agreement".into(),
                amount_fen: None,
                text: Some(name(s.guardian_name.clone())),
                balance_fen: None,
            });
            timeline.push(MoneyEvent {
                on: s.pledge_signed_on.clone(),
                kind: "pledge".into(),
                amount_fen: None,
                text: Some(name(s.guardian_name.clone())),
                balance_fen: None,
            });
            Some(SupervisionView {
                guardian: NamedRef {
                    id: s.guardian_person_id,
                    name: name(s.guardian_name.clone()),
                },
                agreement_signed_on: s.agreement_signed_on.clone(),
                pledge_signed_on: s.pledge_signed_on.clone(),
                documents: docs,
            })
        }
        None => None,
    };
    let supervision_complete = match &supervision_view {
        Some(_) => {
            let ids = store::supervision_document_ids(db, case_id).await?;
            let kinds: Vec<&str> = ids
                .iter()
                .filter_map(|id| documents.get(id))
                .map(|d| d.kind.as_str())
                .collect();
            kinds.contains(&"agreement") && kinds.contains(&"pledge")
        }
        None => false,
    };

    let checks = store::phone_checks(db, case_id).await?;
    let payments = store::payments(db, case_id).await?;
    let mut payment_views: HashMap<i64, PaymentView> = HashMap::new();
    for p in payments {
        timeline.push(MoneyEvent {
            on: p.paid_on.clone(),
            kind: "payment".into(),
            amount_fen: Some(p.amount_fen),
            text: (!committee).then(|| p.reference.clone()),
            balance_fen: None,
        });
        let method = PaymentMethod::parse(&p.method).ok_or_else(|| internal("payment method"))?;
        let payment_checks = checks
            .iter()
            .filter(|c| c.payment_id == p.id)
            .map(|c| PhoneCheckView {
                id: c.id,
                checked_on: c.checked_on.clone(),
                spoke_with: c.spoke_with.clone(),
                said_received_fen: c.said_received_fen,
                note: c.note.clone(),
                checked_by: NamedRef {
                    id: c.checked_by,
                    name: c.checked_by_name.clone(),
                },
            })
            .collect();
        payment_views.insert(
            p.installment_id,
            PaymentView {
                id: p.id,
                paid_on: p.paid_on,
                method,
                reference: if committee {
                    String::new()
                } else {
                    p.reference
                },
                amount_fen: p.amount_fen,
                recorded_by: NamedRef {
                    id: p.recorded_by,
                    name: p.recorded_by_name,
                },
                checks: payment_checks,
            },
        );
    }
    for c in &checks {
        timeline.push(MoneyEvent {
            on: c.checked_on.clone(),
            kind: "phone_check".into(),
            amount_fen: Some(c.said_received_fen),
            text: Some(c.spoke_with.clone()),
            balance_fen: None,
        });
    }

    let plan_view = match &plan {
        Some(p) => {
            let rows = store::installments(db, case_id).await?;
            let mut first_unpaid_seen = false;
            let mut installments = Vec::with_capacity(rows.len());
            for row in rows {
                let paid = row.payment_id.is_some();
                let blocked_by = if paid {
                    None
                } else if first_unpaid_seen {
                    Some("earlier_installment_unpaid")
                } else if !paying_state {
                    Some("case_not_paying")
                } else if p.supervised && !supervision_complete {
                    Some("supervision_required")
                } else if p.supervised
                    && !ledger(p).proof_of_use_complete()
                    && row.override_reason.is_none()
                {
                    Some("proof_of_use_required")
                } else {
                    None
                };
                if !paid {
                    first_unpaid_seen = true;
                }
                if row.override_reason.is_some() {
                    timeline.push(MoneyEvent {
                        on: row.due_on.clone(),
                        kind: "override".into(),
                        amount_fen: None,
                        text: row.override_reason.clone(),
                        balance_fen: None,
                    });
                }
                installments.push(InstallmentView {
                    id: row.id,
                    seq: row.seq,
                    due_on: row.due_on,
                    amount_fen: row.amount_fen,
                    payment: payment_views.remove(&row.id),
                    release_override: row.override_reason,
                    can_pay: own && !paid && blocked_by.is_none(),
                    blocked_by: if paid {
                        None
                    } else {
                        blocked_by.map(str::to_string)
                    },
                });
            }
            timeline.push(MoneyEvent {
                on: format_date(china_date(p.created_at)),
                kind: "plan".into(),
                amount_fen: Some(p.approved_fen),
                text: Some(format!("{}×{}", p.kind, installments.len())),
                balance_fen: None,
            });
            Some(PlanView {
                kind: PlanKind::parse(&p.kind).ok_or_else(|| internal("plan kind"))?,
                supervised: p.supervised,
                installments,
                created_at: p.created_at,
                updated_at: p.updated_at,
            })
        }
        None => None,
    };

    let mut notes: HashMap<i64, Vec<SpendingNote>> = HashMap::new();
    for n in store::spending_notes(db, case_id).await? {
        if matches!(n.action.as_str(), "confirm" | "query" | "answer") {
            timeline.push(MoneyEvent {
                on: format_date(china_date(n.at)),
                kind: match n.action.as_str() {
                    "confirm" => "confirmed",
                    "query" => "queried",
                    _ => "answered",
                }
                .into(),
                amount_fen: None,
                text: n.comment.clone(),
                balance_fen: None,
            });
        }
        notes.entry(n.spending_id).or_default().push(SpendingNote {
            at: n.at,
            actor: NamedRef {
                id: n.actor_id,
                name: n.actor_name,
            },
            action: n.action,
            comment: n.comment,
        });
    }
    let mut spending = Vec::new();
    for s in store::spending(db, case_id).await? {
        let status = SpendingStatus::parse(&s.status).ok_or_else(|| internal("spending status"))?;
        let purpose = Purpose::parse(&s.purpose).ok_or_else(|| internal("purpose"))?;
        timeline.push(MoneyEvent {
            on: s.spent_on.clone(),
            kind: "spending".into(),
            amount_fen: Some(s.amount_fen),
            text: Some(purpose.as_str().into()),
            balance_fen: None,
        });
        spending.push(SpendingView {
            id: s.id,
            amount_fen: s.amount_fen,
            purpose,
            spent_on: s.spent_on,
            note: s.note,
            receipt: s
                .receipt_document_id
                .and_then(|id| documents.get(&id).cloned())
                .map(document_view)
                .transpose()?,
            status,
            entered_by: NamedRef {
                id: s.entered_by,
                name: s.entered_by_name,
            },
            notes: notes.remove(&s.id).unwrap_or_default(),
            can_confirm: committee && status == SpendingStatus::Pending,
            can_answer: own && status == SpendingStatus::Queried,
        });
    }

    // Date order; on one day the decision comes first and spending after payments.
    let rank = |kind: &str| match kind {
        "decision" => 0,
        "plan" => 1,
        "agreement" | "pledge" => 2,
        "override" => 3,
        "payment" => 4,
        "phone_check" => 5,
        "spending" => 6,
        _ => 7,
    };
    timeline.sort_by(|a, b| (a.on.as_str(), rank(&a.kind)).cmp(&(b.on.as_str(), rank(&b.kind))));
    let mut balance = 0i64;
    for event in &mut timeline {
        match event.kind.as_str() {
            "payment" => balance += event.amount_fen.unwrap_or(0),
            "spending" => balance -= event.amount_fen.unwrap_or(0),
            _ => continue,
        }
        event.balance_fen = Some(balance);
    }

    let supervised = plan.as_ref().is_some_and(|p| p.supervised);
    let started = ledger_now.paid_fen > 0;
    let can = MoneyPermissions {
        plan: approved_state
            && ledger_now.unpaid_fen() > 0
            && ((own && !started) || (actor.role == Role::Supervisor)),
        supervision: own && supervised,
        spend: plan.is_some() && (own || committee) && ledger_now.balance_fen() > 0,
        phone_check: own && started,
        override_release: actor.role == Role::Supervisor && supervised,
    };
    if let (true, Some(client)) = (access.protected, reader) {
        // Logged before it is given out, like the case page.
        privacy::record_read(
            db,
            actor,
            case_id,
            ReadKind::Money,
            None,
            access.full,
            access.grant_id,
            client,
        )
        .await?;
    }
    Ok(MoneyView {
        case_id,
        case_number: (!committee).then_some(case.number),
        child: NamedRef {
            id: applicant.id,
            name: name(applicant.name),
        },
        village: NamedRef {
            id: case.village_id,
            name: case.village_name,
        },
        officer: NamedRef {
            id: case.officer_id,
            name: case.officer_name,
        },
        decided_on: decided_at.map(|at| format_date(china_date(at))),
        minor,
        people,
        balance_fen: ledger_now.balance_fen(),
        ledger: ledger_now,
        plan: plan_view,
        supervision: supervision_view,
        spending,
        timeline,
        can,
    })
}

/// The supervised children in the viewer's reach: a village committee's own
/// village, an officer's own cases, every one for a supervisor.
pub async fn list_supervised(db: &Db, actor: &Actor) -> ServiceResult<Vec<SupervisedChild>> {
    require(actor, MoneyAction::Read)?;
    let scope = match actor.role {
        Role::VillageCommittee => {
            SupervisedScope::Village(actor.village_id.ok_or(ServiceError::Forbidden)?)
        }
        Role::Officer => SupervisedScope::Officer(actor.user_id),
        _ => SupervisedScope::All,
    };
    let mut children = Vec::new();
    for row in store::supervised(db, scope).await? {
        let view = view(db, actor, row.case_id, None).await?;
        let installments = view
            .plan
            .as_ref()
            .map(|p| p.installments.clone())
            .unwrap_or_default();
        let next = installments.iter().find(|i| i.payment.is_none());
        children.push(SupervisedChild {
            case_id: row.case_id,
            // A list: names masked for everyone (README "Privacy"); the
            // child's money page has them in full.
            child: NamedRef {
                id: row.child_id,
                name: domain::case::mask_name(&row.child_name),
            },
            village: NamedRef {
                id: row.village_id,
                name: row.village_name,
            },
            guardian: row.guardian_name.as_deref().map(domain::case::mask_name),
            ledger: Ledger {
                approved_fen: row.approved_fen,
                paid_fen: row.paid_fen,
                spent_fen: row.spent_fen,
                confirmed_fen: row.confirmed_fen,
            },
            balance_fen: row.paid_fen - row.spent_fen,
            installments_total: installments.len() as i64,
            installments_paid: installments.iter().filter(|i| i.payment.is_some()).count() as i64,
            next_due_on: next.map(|i| i.due_on.clone()),
            next_amount_fen: next.map(|i| i.amount_fen),
            waiting: view
                .spending
                .into_iter()
                .filter(|s| s.status != SpendingStatus::Confirmed)
                .collect(),
        });
    }
    Ok(children)
}
