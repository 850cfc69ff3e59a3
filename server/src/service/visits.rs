//! Field visits recorded on phones, often offline and sent later: each record
//! carries an id made on the phone, so a retry or a replay returns the stored
//! record instead of storing a second one, and the same id with other content
//! is refused. A visit is a line on the case timeline and an audit entry in
//! the same transaction; so is each photo or signature.
//!
//! Visits hold a household's circumstances, so only the case's officer and
//! supervisors see them; another officer is told they do not exist.

use std::collections::HashMap;

use domain::api::NamedRef;
use domain::case::CaseState;
use domain::visit::{
    check_visit_file, follow_ups, parse_client_id, validate_visit, CaseVisits, FollowUpItem,
    GeoPoint, NewVisit, VisitFileKind, VisitFileView, VisitFindings, VisitKind, VisitView,
    MAX_FILES_PER_VISIT,
};
use domain::{Permission, Role};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{self, Change};
use super::cases::invalid;
use super::rollup;
use super::{Actor, ServiceError, ServiceResult};
use crate::config::AppConfig;
use crate::storage::cases::{self as case_store, CaseRow, NewEvent};
use crate::storage::visits::{self as store, NewVisitFile, NewVisitRow, VisitFileRow, VisitRow};
use crate::storage::{is_unique_violation, now_ms, Db, Tx};

/// Whether a write created the record or found it already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Created,
    AlreadyStored,
}

fn internal(what: &str) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("unknown {what} in database"))
}

fn case_state(text: &str) -> ServiceResult<CaseState> {
    CaseState::parse(text).ok_or_else(|| internal("case state"))
}

fn client_id(text: &str, field: &'static str) -> ServiceResult<String> {
    parse_client_id(text)
        .ok_or_else(|| invalid(field, "invalid_id", "must be a UUID made on the phone"))
}

/// May this viewer see the visits of a case of `officer_id`?
fn sees_visits(actor: &Actor, officer_id: i64) -> bool {
    match actor.role {
        Role::Supervisor => true,
        Role::Officer => actor.user_id == officer_id,
        _ => false,
    }
}

fn id_reused() -> ServiceError {
    ServiceError::Conflict {
        code: "id_reused",
        message: "this id was already used for a different record".into(),
    }
}

/// The case, if this officer may record visits on it; another officer's case does not exist for them.
async fn own_case(tx: &mut Tx, actor: &Actor, case_id: i64) -> ServiceResult<CaseRow> {
    let case = case_store::find_case_tx(tx, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if case.officer_id != actor.user_id {
        return Err(ServiceError::NotFound);
    }
    Ok(case)
}

/// Records a visit under the id the phone made. Sending the same record again
/// returns the stored one (`AlreadyStored`); the same id with other content is a conflict.
#[tracing::instrument(skip_all, fields(case_id = case_id, kind = input.kind.as_str()))]
pub async fn record_visit(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    visit_id: &str,
    input: NewVisit,
) -> ServiceResult<(Stored, VisitView)> {
    actor.require(Permission::RecordVisits)?;
    let id = client_id(visit_id, "id")?;
    let now = now_ms();
    let visit = validate_visit(&input, now)?;
    // Serialising our own plain struct cannot fail.
    let fingerprint =
        serde_json::to_string(&(case_id, &visit)).map_err(|e| ServiceError::Internal(e.into()))?;
    let mut tx = db.begin().await?;
    let case = own_case(&mut tx, actor, case_id).await?;
    let state = case_state(&case.state)?;
    if state.is_final() {
        // A replay is answered whatever changed since the first time: a case
        // closed meanwhile must not turn a stored visit into an error. (On an
        // open case a replay is caught by the insert's unique key below, so a
        // new visit, the usual case, costs no lookup while it holds the lock.)
        if let Some(existing) = store::find_visit_tx(&mut tx, &id).await? {
            drop(tx);
            return replay(db, actor, existing, &fingerprint).await;
        }
        return Err(ServiceError::Conflict {
            code: "case_over",
            message: "the case is closed or withdrawn; visits can no longer be added".into(),
        });
    }
    // Follow-up visits count in the statistics (follow-ups done on time).
    let counted = match visit.kind.is_follow_up() {
        true => Some(rollup::before_write(&mut tx, &[case_id], &[]).await?),
        false => None,
    };
    let new_row = NewVisitRow {
        id: &id,
        case_id,
        kind: visit.kind.as_str(),
        visited_at: visit.visited_at,
        place: &visit.place,
        latitude: visit.location.map(|p| p.latitude),
        longitude: visit.location.map(|p| p.longitude),
        accuracy_m: visit.location.and_then(|p| p.accuracy_m),
        people_met: &visit.people_met,
        household_members: visit.findings.household_members,
        monthly_income_fen: visit.findings.monthly_income_fen,
        dependants: visit.findings.dependants,
        hardship: visit.findings.hardship.as_deref(),
        needs: visit.findings.needs.as_deref(),
        notes: visit.notes.as_deref(),
        fingerprint: &fingerprint,
        officer_id: actor.user_id,
        now,
    };
    match store::insert_visit(&mut tx, &new_row).await {
        Ok(()) => {}
        // Sent before (a retry, a replay), or twice at once: it is stored.
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            let existing = store::find_visit(db, &id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            return replay(db, actor, existing, &fingerprint).await;
        }
        Err(e) => return Err(e.into()),
    }
    // The timeline names the kind (`visit_home_visit`, …) and the place.
    let action = format!("visit_{}", visit.kind.as_str());
    case_store::insert_event(
        &mut tx,
        &NewEvent {
            case_id,
            at: now,
            actor_id: actor.user_id,
            action: &action,
            from_state: Some(state.as_str()),
            to_state: state.as_str(),
            amount_fen: None,
            comment: Some(&visit.place),
        },
    )
    .await?;
    if let Some(counted) = counted {
        counted.after_write(&mut tx).await?;
    }
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "visit",
            entity_id: id.clone(),
            case_id: Some(case_id),
            action: "visit.recorded",
            before: None,
            after: audit::snapshot(&visit),
        },
    )
    .await?;
    tx.commit().await?;
    // A new visit has no files yet: they are uploaded to it afterwards.
    let view = view_of(new_row.as_stored(&actor.display_name), Vec::new())?;
    Ok((Stored::Created, view))
}

async fn replay(
    db: &Db,
    actor: &Actor,
    existing: VisitRow,
    fingerprint: &str,
) -> ServiceResult<(Stored, VisitView)> {
    if existing.officer_id != actor.user_id || existing.fingerprint != fingerprint {
        return Err(id_reused());
    }
    Ok((Stored::AlreadyStored, view(db, existing).await?))
}

/// The visits of a case, with its follow-ups after payment.
pub async fn case_visits(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    case_id: i64,
) -> ServiceResult<CaseVisits> {
    actor.require(Permission::ReadVisits)?;
    let case = case_store::find_case(db, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !sees_visits(actor, case.officer_id) {
        return Err(ServiceError::NotFound);
    }
    let rows = store::list_visits(db, case_id).await?;
    let follow_up_visits: Vec<(String, i64)> = rows
        .iter()
        .filter(|r| VisitKind::parse(&r.kind).is_some_and(VisitKind::is_follow_up))
        .map(|r| (r.id.clone(), r.visited_at))
        .collect();
    let follow_ups = match store::paid_at(db, case_id).await? {
        Some(paid_at) => follow_ups(paid_at, &config.follow_up_days, &follow_up_visits, now_ms()),
        None => Vec::new(),
    };
    Ok(CaseVisits {
        visits: views(db, rows).await?,
        can_record: actor.role.can(Permission::RecordVisits)
            && actor.user_id == case.officer_id
            && !case_state(&case.state)?.is_final(),
        follow_ups,
    })
}

/// One visit, for those who may see its case.
pub async fn get_visit(db: &Db, actor: &Actor, visit_id: &str) -> ServiceResult<VisitView> {
    actor.require(Permission::ReadVisits)?;
    let row = visible_visit(db, actor, visit_id).await?;
    view(db, row).await
}

async fn visible_visit(db: &Db, actor: &Actor, visit_id: &str) -> ServiceResult<VisitRow> {
    let id = parse_client_id(visit_id).ok_or(ServiceError::NotFound)?;
    let row = store::find_visit(db, &id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let case = case_store::find_case(db, row.case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !sees_visits(actor, case.officer_id) {
        return Err(ServiceError::NotFound);
    }
    Ok(row)
}

/// Stores a photo or the signature of a visit under the id the phone made.
/// The bytes are checked for what they are, not for what they are called.
#[tracing::instrument(skip_all, fields(kind = kind.as_str(), size = bytes.len()))]
pub async fn upload_file(
    db: &Db,
    actor: &Actor,
    visit_id: &str,
    file_id: &str,
    kind: VisitFileKind,
    bytes: &[u8],
) -> ServiceResult<(Stored, VisitFileView)> {
    actor.require(Permission::RecordVisits)?;
    let visit_id = parse_client_id(visit_id).ok_or(ServiceError::NotFound)?;
    let file_id = client_id(file_id, "file_id")?;
    let format = check_visit_file(kind, bytes)?;
    let sha256 = hex(&Sha256::digest(bytes));
    let now = now_ms();
    let mut tx = db.begin().await?;
    let visit = store::find_visit_tx(&mut tx, &visit_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let case = own_case(&mut tx, actor, visit.case_id).await?;
    if let Some(existing) = store::find_file_tx(&mut tx, &file_id).await? {
        return file_replay(existing, &visit_id, kind, &sha256);
    }
    if case_state(&case.state)?.is_final() {
        return Err(ServiceError::Conflict {
            code: "case_over",
            message: "the case is closed or withdrawn; files can no longer be added".into(),
        });
    }
    if store::count_files_tx(&mut tx, &visit_id).await? >= MAX_FILES_PER_VISIT {
        return Err(ServiceError::Conflict {
            code: "too_many_files",
            message: format!("a visit keeps at most {MAX_FILES_PER_VISIT} photos and signatures"),
        });
    }
    let inserted = store::insert_file(
        &mut tx,
        &NewVisitFile {
            id: &file_id,
            visit_id: &visit_id,
            kind: kind.as_str(),
            content_type: format.content_type(),
            sha256: &sha256,
            content: bytes,
            uploaded_by: actor.user_id,
            now,
        },
    )
    .await;
    match inserted {
        Ok(()) => {}
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            let mut tx = db.begin().await?;
            let existing = store::find_file_tx(&mut tx, &file_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            return file_replay(existing, &visit_id, kind, &sha256);
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "visit_file",
            entity_id: file_id.clone(),
            case_id: Some(visit.case_id),
            action: "visit.file_added",
            before: None,
            after: Some(json!({ "visit_id": visit_id, "kind": kind.as_str(), "content_type": format.content_type(), "size_bytes": bytes.len(), "sha256": sha256 })),
        },
    )
    .await?;
    let stored = store::find_file_tx(&mut tx, &file_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok((Stored::Created, file_view(stored)?))
}

fn file_replay(
    existing: VisitFileRow,
    visit_id: &str,
    kind: VisitFileKind,
    sha256: &str,
) -> ServiceResult<(Stored, VisitFileView)> {
    if existing.visit_id != visit_id || existing.kind != kind.as_str() || existing.sha256 != sha256
    {
        return Err(id_reused());
    }
    Ok((Stored::AlreadyStored, file_view(existing)?))
}

/// The bytes and content type of a photo or signature, for those who may see the case.
/// The download of a protected case's file is logged (`photo`) before it is given out.
pub async fn file_content(
    db: &Db,
    actor: &Actor,
    visit_id: &str,
    file_id: &str,
    client: &super::privacy::Client,
) -> ServiceResult<(String, Vec<u8>)> {
    actor.require(Permission::ReadVisits)?;
    let visit = visible_visit(db, actor, visit_id).await?;
    let file_id = parse_client_id(file_id).ok_or(ServiceError::NotFound)?;
    let content = store::file_content(db, &visit.id, &file_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    super::privacy::record_file_read(
        db,
        actor,
        visit.case_id,
        domain::privacy::ReadKind::Photo,
        &file_id,
        client,
    )
    .await?;
    Ok(content)
}

/// Follow-ups not yet done on the officer's own cases (every case for a
/// supervisor), soonest first; overdue ones are marked.
pub async fn due_follow_ups(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
) -> ServiceResult<Vec<FollowUpItem>> {
    actor.require(Permission::ReadVisits)?;
    let officer = (actor.role == Role::Officer).then_some(actor.user_id);
    let cases = store::paid_cases(db, officer).await?;
    let ids: Vec<i64> = cases.iter().map(|c| c.case_id).collect();
    let mut visits: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for (case_id, id, at) in store::follow_up_visits(db, &ids).await? {
        visits.entry(case_id).or_default().push((id, at));
    }
    let now = now_ms();
    let mut items: Vec<FollowUpItem> = cases
        .into_iter()
        .flat_map(|c| {
            let done = visits.remove(&c.case_id).unwrap_or_default();
            follow_ups(c.paid_at, &config.follow_up_days, &done, now)
                .into_iter()
                .filter(|f| f.done_by_visit.is_none())
                .map(|f| FollowUpItem {
                    case_id: c.case_id,
                    case_number: c.case_number.clone(),
                    applicant_name: domain::case::mask_name(&c.applicant_name),
                    village: c.village_name.clone(),
                    officer: NamedRef {
                        id: c.officer_id,
                        name: c.officer_name.clone(),
                    },
                    days: f.days,
                    due_at: f.due_at,
                    overdue: f.overdue,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    items.sort_by_key(|i| (i.due_at, i.case_id));
    Ok(items)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn file_view(row: VisitFileRow) -> ServiceResult<VisitFileView> {
    Ok(VisitFileView {
        url: format!("/api/v1/visits/{}/files/{}", row.visit_id, row.id),
        kind: VisitFileKind::parse(&row.kind).ok_or_else(|| internal("visit file kind"))?,
        id: row.id,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        uploaded_at: row.uploaded_at,
    })
}

async fn view(db: &Db, row: VisitRow) -> ServiceResult<VisitView> {
    views(db, vec![row])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)
}

async fn views(db: &Db, rows: Vec<VisitRow>) -> ServiceResult<Vec<VisitView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut files: HashMap<String, Vec<VisitFileView>> = HashMap::new();
    for f in store::files_for(db, &ids).await? {
        files
            .entry(f.visit_id.clone())
            .or_default()
            .push(file_view(f)?);
    }
    rows.into_iter()
        .map(|r| {
            let files = files.remove(&r.id).unwrap_or_default();
            view_of(r, files)
        })
        .collect()
}

fn view_of(r: VisitRow, files: Vec<VisitFileView>) -> ServiceResult<VisitView> {
    Ok(VisitView {
        kind: VisitKind::parse(&r.kind).ok_or_else(|| internal("visit kind"))?,
        files,
        location: match (r.latitude, r.longitude) {
            (Some(latitude), Some(longitude)) => Some(GeoPoint {
                latitude,
                longitude,
                accuracy_m: r.accuracy_m,
            }),
            _ => None,
        },
        id: r.id,
        case_id: r.case_id,
        visited_at: r.visited_at,
        place: r.place,
        people_met: r.people_met,
        findings: VisitFindings {
            household_members: r.household_members,
            monthly_income_fen: r.monthly_income_fen,
            dependants: r.dependants,
            hardship: r.hardship,
            needs: r.needs,
        },
        notes: r.notes,
        officer: NamedRef {
            id: r.officer_id,
            name: r.officer_name,
        },
        recorded_at: r.recorded_at,
    })
}
