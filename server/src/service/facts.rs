//! A case's facts edited on phones, often offline: each edit carries the
//! values the phone last saw, and meets what the server holds in a
//! three-way merge (`domain::facts::merge`) inside one transaction with the
//! case row locked. One-side changes apply; a field changed on both sides
//! keeps the server's value and becomes a conflict, settled later by the
//! case's officer or a supervisor. Every version goes to the audit log.
//!
//! Edits come under an id the phone made: a replay gets the first answer
//! again, the same id with other content is refused. Facts describe a
//! household's circumstances, so only the case's officer and supervisors see
//! them; another officer is told the case has none.
//!
//! Also here: the same-person lookup a new-lead form asks while it is typed.

use domain::api::NamedRef;
use domain::case::{mask_name, CaseState};
use domain::facts::{
    merge, validate_edit, CaseFacts, CaseFactsView, FactChoice, FactConflictView, FactEdit,
    FactEditResult, FactField, FactResolution, PersonMatch,
};
use domain::idcard::ResidentId;
use domain::visit::parse_client_id;
use domain::{Permission, Role};
use serde_json::{json, Value};

use super::audit::{self, Change};
use super::cases::invalid;
use super::visits::Stored;
use super::{Actor, ServiceError, ServiceResult};
use crate::storage::facts::{self as store, ConflictRow, FactsRow, FactsUpdate, NewConflict};
use crate::storage::{is_unique_violation, money::lock_case, now_ms, Db, Tx};

fn internal(what: &str) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("unknown {what} in database"))
}

/// The case's officer and supervisors; for anyone else the facts do not exist.
fn sees_facts(actor: &Actor, officer_id: i64) -> bool {
    match actor.role {
        Role::Supervisor => true,
        Role::Officer => actor.user_id == officer_id,
        _ => false,
    }
}

fn is_over(row: &FactsRow) -> ServiceResult<bool> {
    Ok(CaseState::parse(&row.state)
        .ok_or_else(|| internal("case state"))?
        .is_final())
}

fn facts_of(row: &FactsRow) -> CaseFacts {
    CaseFacts {
        phone: row.phone.clone(),
        address: row.address.clone(),
        household_members: row.household_members,
        monthly_income_fen: row.monthly_income_fen,
        dependants: row.dependants,
        hardship: row.hardship.clone(),
        needs: row.needs.clone(),
    }
}

/// The facts of a case a viewer may see, with the case row locked when in a transaction.
async fn visible_facts_tx(tx: &mut Tx, actor: &Actor, case_id: i64) -> ServiceResult<FactsRow> {
    if !lock_case(tx, case_id).await? {
        return Err(ServiceError::NotFound);
    }
    let row = store::find_facts_tx(tx, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !sees_facts(actor, row.officer_id) {
        return Err(ServiceError::NotFound);
    }
    Ok(row)
}

/// The facts of a case and its open conflicts.
pub async fn case_facts(db: &Db, actor: &Actor, case_id: i64) -> ServiceResult<CaseFactsView> {
    actor.require(Permission::ReadCases)?;
    let row = store::find_facts(db, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !sees_facts(actor, row.officer_id) {
        return Err(ServiceError::NotFound);
    }
    let conflicts = store::open_conflicts(db, case_id)
        .await?
        .into_iter()
        .map(conflict_view)
        .collect::<ServiceResult<Vec<_>>>()?;
    let may_edit = actor.role.can(Permission::EditCaseFacts);
    Ok(CaseFactsView {
        case_id,
        can_edit: may_edit && !is_over(&row)?,
        can_resolve: may_edit,
        facts: facts_of(&row),
        conflicts,
    })
}

fn id_reused() -> ServiceError {
    ServiceError::Conflict {
        code: "id_reused",
        message: "this id was already used for a different edit".into(),
    }
}

fn replay(
    existing: store::EditRow,
    actor: &Actor,
    case_id: i64,
    fingerprint: &str,
) -> ServiceResult<(Stored, FactEditResult)> {
    if existing.actor_id != actor.user_id
        || existing.case_id != case_id
        || existing.fingerprint != fingerprint
    {
        return Err(id_reused());
    }
    let outcome = serde_json::from_str(&existing.outcome)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored edit outcome: {e}")))?;
    Ok((Stored::AlreadyStored, outcome))
}

fn json_text(value: &Value) -> String {
    value.to_string()
}

/// Applies an edit made on a phone under the id it made. One-side changes
/// are written; fields changed on both sides become conflicts.
#[tracing::instrument(skip_all, fields(case_id = case_id))]
pub async fn edit_facts(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    edit_id: &str,
    input: FactEdit,
) -> ServiceResult<(Stored, FactEditResult)> {
    actor.require(Permission::EditCaseFacts)?;
    let id = parse_client_id(edit_id)
        .ok_or_else(|| invalid("id", "invalid_id", "must be a UUID made on the phone"))?;
    let edit = validate_edit(&input)?;
    // Serialising our own plain struct cannot fail.
    let fingerprint =
        serde_json::to_string(&(case_id, &edit)).map_err(|e| ServiceError::Internal(e.into()))?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let row = visible_facts_tx(&mut tx, actor, case_id).await?;
    // A replay is answered before any rule that may have changed since the first time.
    if let Some(existing) = store::find_edit_tx(&mut tx, &id).await? {
        return replay(existing, actor, case_id, &fingerprint);
    }
    if is_over(&row)? {
        return Err(ServiceError::Conflict {
            code: "case_over",
            message: "the case is closed or withdrawn; its facts can no longer be edited".into(),
        });
    }
    match store::insert_edit(&mut tx, &id, case_id, &fingerprint, actor.user_id, now).await {
        Ok(()) => {}
        // The same id arrived for another case at the same moment.
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            let existing = store::find_edit(db, &id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            return replay(existing, actor, case_id, &fingerprint);
        }
        Err(e) => return Err(e.into()),
    }
    let theirs = facts_of(&row);
    let mine = edit.base.with_changes(&edit.changes);
    let result = merge(&edit.base, &mine, &theirs);
    if !result.applied.is_empty() {
        write_facts(&mut tx, &row, &result.merged, now).await?;
    }
    let mut conflicts = Vec::new();
    for c in &result.conflicts {
        let conflict_id = store::insert_conflict(
            &mut tx,
            &NewConflict {
                case_id,
                edit_id: &id,
                field: c.field.as_str(),
                base_value: &json_text(&c.base),
                mine_value: &json_text(&c.mine),
                theirs_value: &json_text(&c.theirs),
                raised_by: actor.user_id,
                now,
            },
        )
        .await?;
        // Both versions, kept for good whatever is chosen later.
        audit::record(
            &mut tx,
            Some(actor),
            Change {
                entity_type: "fact_conflict",
                entity_id: conflict_id.to_string(),
                case_id: Some(case_id),
                action: "case.facts_conflict",
                before: Some(
                    json!({ "field": c.field.as_str(), "value": c.theirs, "base": c.base }),
                ),
                after: Some(json!({ "field": c.field.as_str(), "value": c.mine, "edit_id": id })),
            },
        )
        .await?;
        let stored = store::find_conflict_tx(&mut tx, conflict_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        conflicts.push(conflict_view(stored)?);
    }
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "case",
            entity_id: case_id.to_string(),
            case_id: Some(case_id),
            action: "case.facts_edited",
            before: audit::snapshot(&theirs),
            after: Some(json!({
                "edit_id": id,
                "facts": result.merged,
                "applied": result.applied,
                "conflicts": result.conflicts.iter().map(|c| c.field).collect::<Vec<FactField>>(),
            })),
        },
    )
    .await?;
    let outcome = FactEditResult {
        edit_id: id.clone(),
        facts: result.merged,
        applied: result.applied,
        conflicts,
    };
    let outcome_text =
        serde_json::to_string(&outcome).map_err(|e| ServiceError::Internal(e.into()))?;
    store::set_edit_outcome(&mut tx, &id, &outcome_text).await?;
    tx.commit().await?;
    Ok((Stored::Created, outcome))
}

async fn write_facts(
    tx: &mut Tx,
    row: &FactsRow,
    facts: &CaseFacts,
    now: i64,
) -> ServiceResult<()> {
    store::update_facts(
        tx,
        &FactsUpdate {
            case_id: row.case_id,
            applicant_id: row.applicant_id,
            phone: facts.phone.as_deref(),
            address: facts.address.as_deref(),
            household_members: facts.household_members,
            monthly_income_fen: facts.monthly_income_fen,
            dependants: facts.dependants,
            hardship: facts.hardship.as_deref(),
            needs: facts.needs.as_deref(),
            now,
        },
    )
    .await?;
    Ok(())
}

/// Settles a conflict: `mine` writes the edit's value, `theirs` keeps what
/// the server holds now. By the case's officer or a supervisor, once.
#[tracing::instrument(skip_all, fields(conflict_id = conflict_id, choice = choice.as_str()))]
pub async fn resolve_conflict(
    db: &Db,
    actor: &Actor,
    conflict_id: i64,
    choice: FactChoice,
) -> ServiceResult<FactConflictView> {
    actor.require(Permission::EditCaseFacts)?;
    let case_id = store::find_conflict(db, conflict_id)
        .await?
        .ok_or(ServiceError::NotFound)?
        .case_id;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let row = visible_facts_tx(&mut tx, actor, case_id).await?;
    let conflict = store::find_conflict_tx(&mut tx, conflict_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if conflict.choice.is_some() {
        return Err(ServiceError::Conflict {
            code: "conflict_resolved",
            message: "this conflict was already settled".into(),
        });
    }
    let field = FactField::parse(&conflict.field).ok_or_else(|| internal("fact field"))?;
    let current = facts_of(&row);
    let mut chosen = current.clone();
    if choice == FactChoice::Mine {
        let mine: Value = serde_json::from_str(&conflict.mine_value)
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored conflict value: {e}")))?;
        if !chosen.set(field, &mine) {
            return Err(internal("conflict value"));
        }
    }
    if chosen != current {
        write_facts(&mut tx, &row, &chosen, now).await?;
    }
    if !store::resolve_conflict(&mut tx, conflict_id, choice.as_str(), actor.user_id, now).await? {
        return Err(ServiceError::Conflict {
            code: "conflict_resolved",
            message: "this conflict was already settled".into(),
        });
    }
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "fact_conflict",
            entity_id: conflict_id.to_string(),
            case_id: Some(case_id),
            action: "case.facts_conflict_resolved",
            before: Some(json!({ "field": field.as_str(), "value": current.get(field) })),
            after: Some(
                json!({ "field": field.as_str(), "value": chosen.get(field), "choice": choice.as_str() }),
            ),
        },
    )
    .await?;
    let stored = store::find_conflict_tx(&mut tx, conflict_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    conflict_view(stored)
}

fn conflict_view(row: ConflictRow) -> ServiceResult<FactConflictView> {
    let value = |text: &str| {
        serde_json::from_str::<Value>(text)
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored conflict value: {e}")))
    };
    let resolution = match (row.choice.as_deref(), row.resolved_by, row.resolved_at) {
        (Some(choice), Some(by), Some(at)) => Some(FactResolution {
            choice: FactChoice::parse(choice).ok_or_else(|| internal("conflict choice"))?,
            by: NamedRef {
                id: by,
                name: row.resolved_by_name.clone().unwrap_or_default(),
            },
            at,
        }),
        _ => None,
    };
    Ok(FactConflictView {
        id: row.id,
        case_id: row.case_id,
        field: FactField::parse(&row.field).ok_or_else(|| internal("fact field"))?,
        base: value(&row.base_value)?,
        mine: value(&row.mine_value)?,
        theirs: value(&row.theirs_value)?,
        raised_by: NamedRef {
            id: row.raised_by,
            name: row.raised_by_name,
        },
        raised_at: row.raised_at,
        edit_id: row.edit_id,
        resolution,
    })
}

/// Who may already be known: leads and cases about someone with this ID
/// number, or this name in this village. A warning for the new-lead form,
/// never a block; names are masked, the viewer follows the link if needed.
pub async fn person_matches(
    db: &Db,
    actor: &Actor,
    id_number: Option<&str>,
    name: Option<&str>,
    village_id: Option<i64>,
) -> ServiceResult<Vec<PersonMatch>> {
    actor.require(Permission::LogLeads)?;
    let id_number = match id_number.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => Some(
            ResidentId::parse(text)
                .map_err(|_| {
                    invalid(
                        "id_number",
                        "id_number_format",
                        "must be a resident ID number",
                    )
                })?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    let name = name.map(str::trim).filter(|t| !t.is_empty());
    if name.is_some_and(|n| n.chars().count() > 50) {
        return Err(invalid("name", "too_long", "is too long"));
    }
    let by_name = match (name, village_id) {
        (Some(n), Some(v)) => Some((n, v)),
        _ => None,
    };
    if id_number.is_none() && by_name.is_none() {
        return Err(invalid(
            "id_number",
            "required",
            "give an ID number, or a name and a village",
        ));
    }
    let rows = store::person_matches(
        db,
        id_number.as_deref(),
        by_name.map(|(n, _)| n),
        by_name.map(|(_, v)| v),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PersonMatch {
            kind: r.kind,
            id: r.id,
            label: r.label,
            person_name: mask_name(&r.person_name),
            village: r.village_name,
            status: r.status,
            matched_by: if r.by_id_number {
                "id_number"
            } else {
                "name_village"
            }
            .to_string(),
        })
        .collect())
}
