//! Referrals to partner agencies ("1+N"): consent first, then the case's
//! officer refers a person; the addressed agency accepts or declines, records
//! progress and the outcome. Each change is a referral update, a line on the
//! case timeline and an audit entry, all in one transaction.

use std::collections::HashMap;

use domain::api::{
    CaseReferrals, ConsentView, NamedRef, NewConsent, NewReferral, ReferralUpdate, ReferralView,
};
use domain::case::{mask_name, mask_phone, CaseState};
use domain::date::{china_date, format_date, parse_date};
use domain::referral::{
    check_referral_action, is_overdue, referral_actions, ReferralAction, ReferralState, Service,
};
use domain::{Permission, Role};
use serde_json::json;

use super::audit::{self, Change};
use super::cases::{invalid, optional, trimmed};
use super::rollup;
use super::{Actor, ServiceError, ServiceResult};
use crate::storage::cases::{self as case_store, CaseRow, NewEvent};
use crate::storage::referrals::{
    self as store, ClosingText, NewConsentRow, NewReferralRow, NewUpdate, ReferralFilter,
    ReferralRow, ReferralScope, UpdateRow,
};
use crate::storage::{now_ms, Db, Tx};

/// Today in China time, as `YYYY-MM-DD`.
fn today() -> String {
    format_date(china_date(now_ms()))
}

fn internal(what: &str) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("unknown {what} in database"))
}

fn case_state(text: &str) -> ServiceResult<CaseState> {
    CaseState::parse(text).ok_or_else(|| internal("case state"))
}

/// The case, for a change only its own officer may make.
async fn own_case(tx: &mut Tx, actor: &Actor, case_id: i64) -> ServiceResult<CaseRow> {
    let case = case_store::find_case_tx(tx, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if case.officer_id != actor.user_id {
        return Err(ServiceError::Forbidden);
    }
    Ok(case)
}

/// The applicant or the agent of the case; anyone else is not the case's to refer.
fn check_person_of_case(case: &CaseRow, person_id: i64) -> ServiceResult<()> {
    if person_id == case.applicant_id || Some(person_id) == case.agent_id {
        Ok(())
    } else {
        Err(invalid(
            "person_id",
            "not_in_case",
            "must be the applicant or the agent of this case",
        ))
    }
}

/// A line on the case timeline; the case keeps its state.
async fn case_event(
    tx: &mut Tx,
    actor: &Actor,
    case: &CaseRow,
    action: &str,
    comment: Option<&str>,
    at: i64,
) -> ServiceResult<()> {
    let state = case_state(&case.state)?;
    case_store::insert_event(
        tx,
        &NewEvent {
            case_id: case.id,
            at,
            actor_id: actor.user_id,
            action,
            from_state: Some(state.as_str()),
            to_state: state.as_str(),
            amount_fen: None,
            comment,
        },
    )
    .await?;
    Ok(())
}

/// Records a person's (or guardian's) consent to share their details with partner agencies.
#[tracing::instrument(skip_all, fields(case_id = case_id))]
pub async fn record_consent(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    input: NewConsent,
) -> ServiceResult<CaseReferrals> {
    actor.require(Permission::ReferPeople)?;
    let given_by = trimmed(&input.given_by, "given_by", 50)?;
    let relationship = trimmed(&input.relationship, "relationship", 30)?;
    let signed = parse_date(&input.signed_on)
        .ok_or_else(|| invalid("signed_on", "invalid_date", "must be a date YYYY-MM-DD"))?;
    let signed_on = format_date(signed);
    if signed_on > today() {
        return Err(invalid(
            "signed_on",
            "date_in_future",
            "cannot be in the future",
        ));
    }
    let scope_note = optional(&input.scope_note);
    if scope_note
        .as_ref()
        .is_some_and(|n| n.chars().count() > 1000)
    {
        return Err(invalid("scope_note", "too_long", "is too long"));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let case = own_case(&mut tx, actor, case_id).await?;
    check_person_of_case(&case, input.person_id)?;
    let id = store::insert_consent(
        &mut tx,
        &NewConsentRow {
            case_id,
            person_id: input.person_id,
            given_by: &given_by,
            relationship: &relationship,
            signed_on: &signed_on,
            scope_note: scope_note.as_deref(),
            recorded_by: actor.user_id,
            now,
        },
    )
    .await?;
    let comment = format!("{given_by}（{relationship}）");
    case_event(
        &mut tx,
        actor,
        &case,
        "consent_recorded",
        Some(&comment),
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "consent",
            entity_id: id.to_string(),
            case_id: Some(case_id),
            action: "consent.recorded",
            before: None,
            after: Some(json!({ "person_id": input.person_id, "relationship": relationship, "signed_on": signed_on })),
        },
    )
    .await?;
    tx.commit().await?;
    case_referrals(db, actor, case_id).await
}

/// The case's officer refers the applicant or agent to a partner agency for one of its services.
#[tracing::instrument(skip_all, fields(case_id = case_id, service = input.service.as_str()))]
pub async fn create_referral(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    input: NewReferral,
) -> ServiceResult<ReferralView> {
    actor.require(Permission::ReferPeople)?;
    let note = trimmed(&input.note, "note", 2000)?;
    let due = parse_date(&input.due_on)
        .ok_or_else(|| invalid("due_on", "invalid_date", "must be a date YYYY-MM-DD"))?;
    let due_on = format_date(due);
    if due_on < today() {
        return Err(invalid("due_on", "date_in_past", "cannot be in the past"));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let case = own_case(&mut tx, actor, case_id).await?;
    if case_state(&case.state)?.is_final() {
        return Err(ServiceError::Conflict {
            code: "case_over",
            message: "the case is closed or withdrawn".into(),
        });
    }
    check_person_of_case(&case, input.person_id)?;
    let agency_name = store::agency_name_tx(&mut tx, input.agency_id)
        .await?
        .ok_or_else(|| invalid("agency_id", "unknown_agency", "no such agency"))?;
    let offered = store::agency_services_tx(&mut tx, input.agency_id).await?;
    if !offered.iter().any(|s| s == input.service.as_str()) {
        return Err(invalid(
            "service",
            "service_not_offered",
            "the agency does not offer this service",
        ));
    }
    if !store::has_consent(&mut tx, case_id, input.person_id).await? {
        return Err(ServiceError::Conflict {
            code: "consent_required",
            message: "record the person's consent to share their details first".into(),
        });
    }
    let counted = rollup::before_write(&mut tx, &[case_id], &[]).await?;
    let id = store::insert_referral(
        &mut tx,
        &NewReferralRow {
            case_id,
            person_id: input.person_id,
            agency_id: input.agency_id,
            service: input.service.as_str(),
            note: &note,
            due_on: &due_on,
            created_by: actor.user_id,
            now,
        },
    )
    .await?;
    store::insert_update(
        &mut tx,
        &NewUpdate {
            referral_id: id,
            at: now,
            actor_id: actor.user_id,
            action: "sent",
            from_state: None,
            to_state: ReferralState::Sent.as_str(),
            note: None,
        },
    )
    .await?;
    let comment = format!("{agency_name}: {note}");
    case_event(&mut tx, actor, &case, "referral_sent", Some(&comment), now).await?;
    counted.after_write(&mut tx).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "referral",
            entity_id: id.to_string(),
            case_id: Some(case_id),
            action: "referral.created",
            before: None,
            after: Some(json!({ "person_id": input.person_id, "agency_id": input.agency_id, "service": input.service.as_str(), "due_on": due_on, "state": "sent" })),
        },
    )
    .await?;
    tx.commit().await?;
    get_referral(db, actor, id).await
}

/// The consents and referrals of a case, for those who read cases.
pub async fn case_referrals(db: &Db, actor: &Actor, case_id: i64) -> ServiceResult<CaseReferrals> {
    actor.require(Permission::ReadCases)?;
    let case = case_store::find_case(db, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // Part of the case page: the same need to know (a child's case outside
    // one's team needs a grant; names masked for those outside the team).
    let full = super::privacy::case_access(db, actor, &case).await?.full();
    let name = |n: String| if full { n } else { mask_name(&n) };
    let mut people = Vec::new();
    for id in std::iter::once(case.applicant_id).chain(case.agent_id) {
        if let Some(p) = case_store::find_person(db, id).await? {
            people.push(NamedRef {
                id,
                name: name(p.name),
            });
        }
    }
    let consents = store::list_consents(db, case_id)
        .await?
        .into_iter()
        .map(|k| ConsentView {
            id: k.id,
            person: NamedRef {
                id: k.person_id,
                name: name(k.person_name),
            },
            given_by: name(k.given_by),
            relationship: k.relationship,
            signed_on: k.signed_on,
            scope_note: k.scope_note,
            recorded_by: NamedRef {
                id: k.recorded_by,
                name: k.recorded_by_name,
            },
            recorded_at: k.recorded_at,
        })
        .collect();
    let rows =
        store::list_referrals(db, ReferralScope::Case(case_id), &ReferralFilter::default()).await?;
    let mut referrals = views(db, actor, rows).await?;
    if !full {
        for view in &mut referrals {
            view.person_name = mask_name(&view.person_name);
        }
    }
    Ok(CaseReferrals {
        consents,
        referrals,
        can_refer: actor.role.can(Permission::ReferPeople)
            && actor.user_id == case.officer_id
            && !case_state(&case.state)?.is_final(),
        people,
    })
}

/// A partner's referrals (only their agency's), an officer's (on their own
/// cases), or every referral for a supervisor; newest first. `state` and
/// `overdue_only` narrow the list.
pub async fn list_referrals(
    db: &Db,
    actor: &Actor,
    state: Option<&str>,
    overdue_only: bool,
) -> ServiceResult<Vec<ReferralView>> {
    actor.require(Permission::ReadReferrals)?;
    let scope = match actor.role {
        Role::Partner => ReferralScope::Agency(actor.agency_id.ok_or(ServiceError::Forbidden)?),
        Role::Officer => ReferralScope::Officer(actor.user_id),
        _ => ReferralScope::All,
    };
    let state = match state {
        None | Some("") => None,
        Some(text) => Some(
            ReferralState::parse(text)
                .ok_or_else(|| invalid("state", "invalid_state", "unknown referral state"))?
                .as_str(),
        ),
    };
    let filter = ReferralFilter {
        state,
        due_before: overdue_only.then(today),
        open_states: ReferralState::UNFINISHED
            .iter()
            .map(|s| s.as_str())
            .collect(),
    };
    let rows = store::list_referrals(db, scope, &filter).await?;
    // Lists show names and phones masked for everyone (README "Privacy");
    // the referral's own page has them for those who need them.
    let mut list = views(db, actor, rows).await?;
    for view in &mut list {
        view.person_name = mask_name(&view.person_name);
        view.phone = view.phone.as_deref().map(mask_phone);
    }
    Ok(list)
}

/// One referral; a partner of another agency is told it does not exist.
pub async fn get_referral(db: &Db, actor: &Actor, id: i64) -> ServiceResult<ReferralView> {
    actor.require(Permission::ReadReferrals)?;
    let row = store::find_referral(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !visible(actor, &row) {
        return Err(ServiceError::NotFound);
    }
    // Need to know: the case's team and the agency it went to see the person
    // (the agency needs the phone to call); another officer sees the
    // referral with the person masked, as in the lists.
    let masked = actor.role == Role::Officer
        && !domain::privacy::in_case_team(actor.role, actor.user_id, row.case_officer_id);
    let mut view = views(db, actor, vec![row])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)?;
    if masked {
        view.person_name = mask_name(&view.person_name);
        view.phone = view.phone.as_deref().map(mask_phone);
    }
    Ok(view)
}

fn visible(actor: &Actor, row: &ReferralRow) -> bool {
    match actor.role {
        Role::Partner => actor.agency_id == Some(row.agency_id),
        Role::Officer | Role::Supervisor => true,
        Role::VillageCommittee | Role::Admin => false,
    }
}

/// Moves a referral: the partner agency accepts, declines (reason), records
/// progress (note) or completes it (outcome); the case's officer withdraws it (reason).
#[tracing::instrument(skip_all, fields(referral_id = id, action = action.as_str()))]
pub async fn act(
    db: &Db,
    actor: &Actor,
    id: i64,
    action: ReferralAction,
    text: Option<String>,
) -> ServiceResult<ReferralView> {
    actor.require(if action == ReferralAction::Withdraw {
        Permission::ReferPeople
    } else {
        Permission::HandleReferrals
    })?;
    let text = if action.needs_text() {
        Some(trimmed(text.as_deref().unwrap_or(""), "text", 2000)?)
    } else {
        None
    };
    let now = now_ms();
    let mut tx = db.begin().await?;
    let row = store::find_referral_tx(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !visible(actor, &row) {
        return Err(ServiceError::NotFound);
    }
    if action == ReferralAction::Withdraw && row.case_officer_id != actor.user_id {
        return Err(ServiceError::Forbidden);
    }
    let from = ReferralState::parse(&row.state).ok_or_else(|| internal("referral state"))?;
    let to =
        check_referral_action(from, action, actor.role).map_err(|e| ServiceError::Conflict {
            code: "transition_not_allowed",
            message: e.to_string(),
        })?;
    let closing = match action {
        ReferralAction::Complete => ClosingText {
            outcome: text.as_deref(),
            ..ClosingText::default()
        },
        ReferralAction::Decline => ClosingText {
            decline_reason: text.as_deref(),
            ..ClosingText::default()
        },
        ReferralAction::Withdraw => ClosingText {
            withdraw_reason: text.as_deref(),
            ..ClosingText::default()
        },
        ReferralAction::Accept | ReferralAction::Progress => ClosingText::default(),
    };
    let counted = rollup::before_write(&mut tx, &[row.case_id], &[]).await?;
    if !store::update_state(&mut tx, id, from.as_str(), to.as_str(), closing, now).await? {
        return Err(ServiceError::Conflict {
            code: "referral_changed",
            message: "the referral changed meanwhile; reload it".into(),
        });
    }
    store::insert_update(
        &mut tx,
        &NewUpdate {
            referral_id: id,
            at: now,
            actor_id: actor.user_id,
            action: action.as_str(),
            from_state: Some(from.as_str()),
            to_state: to.as_str(),
            note: text.as_deref(),
        },
    )
    .await?;
    let case = case_store::find_case_tx(&mut tx, row.case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let comment = match &text {
        Some(t) => format!("{}: {t}", row.agency_name),
        None => row.agency_name.clone(),
    };
    let event = match action {
        ReferralAction::Accept => "referral_accepted",
        ReferralAction::Decline => "referral_declined",
        ReferralAction::Progress => "referral_progress",
        ReferralAction::Complete => "referral_done",
        ReferralAction::Withdraw => "referral_withdrawn",
    };
    case_event(&mut tx, actor, &case, event, Some(&comment), now).await?;
    counted.after_write(&mut tx).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "referral",
            entity_id: id.to_string(),
            case_id: Some(row.case_id),
            action: "referral.transition",
            before: Some(json!({ "state": from.as_str() })),
            after: Some(json!({ "state": to.as_str(), "action": action.as_str(), "note": text })),
        },
    )
    .await?;
    tx.commit().await?;
    get_referral(db, actor, id).await
}

/// Referral rows as the viewer may see them, with their updates.
async fn views(db: &Db, actor: &Actor, rows: Vec<ReferralRow>) -> ServiceResult<Vec<ReferralView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut updates: HashMap<i64, Vec<ReferralUpdate>> = HashMap::new();
    for u in store::updates_for(db, &ids).await? {
        let UpdateRow {
            referral_id,
            at,
            actor_id,
            actor_name,
            action,
            to_state,
            note,
        } = u;
        updates
            .entry(referral_id)
            .or_default()
            .push(ReferralUpdate {
                at,
                actor: NamedRef {
                    id: actor_id,
                    name: actor_name,
                },
                action,
                to_state: ReferralState::parse(&to_state)
                    .ok_or_else(|| internal("referral state"))?,
                note,
            });
    }
    let today = today();
    let partner = actor.role == Role::Partner;
    rows.into_iter()
        .map(|row| {
            let state =
                ReferralState::parse(&row.state).ok_or_else(|| internal("referral state"))?;
            let service = Service::parse(&row.service).ok_or_else(|| internal("service"))?;
            // The agency needs the phone to reach the person; other officers see it masked.
            let full_phone =
                partner || actor.role == Role::Supervisor || actor.user_id == row.case_officer_id;
            Ok(ReferralView {
                id: row.id,
                case_id: (!partner).then_some(row.case_id),
                case_number: (!partner).then_some(row.case_number),
                person_name: row.person_name,
                village: row.village_name,
                phone: row
                    .phone
                    .map(|p| if full_phone { p } else { mask_phone(&p) }),
                agency: NamedRef {
                    id: row.agency_id,
                    name: row.agency_name,
                },
                service,
                note: row.note,
                overdue: is_overdue(state, &row.due_on, &today),
                due_on: row.due_on,
                state,
                referred_by: NamedRef {
                    id: row.created_by,
                    name: row.created_by_name,
                },
                created_at: row.created_at,
                outcome: row.outcome,
                decline_reason: row.decline_reason,
                withdraw_reason: row.withdraw_reason,
                // Withdrawing is for the case's own officer only.
                actions: referral_actions(state, actor.role)
                    .into_iter()
                    .filter(|a| {
                        *a != ReferralAction::Withdraw || actor.user_id == row.case_officer_id
                    })
                    .collect(),
                updates: updates.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}
