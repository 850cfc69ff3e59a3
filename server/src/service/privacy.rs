//! Need to know (README "Privacy"): who may open a case and see its people in
//! full, break-the-glass grants, full disclosures for a stated purpose, the
//! read log of protected cases, the redacted print, and archiving.
//!
//! For other features that disclose cases: call [`authorize_full_disclosure`]
//! when the user asks for the full version (it checks the role and the
//! purpose, stores a short-lived grant and audits it), [`use_disclosure`] when
//! the full version is produced, and log the protected cases that went out as
//! reads of kind `export`. The case-list export does all of it in [`export_cases`].

use domain::api::privacy::{AccessGrant, AccessRequest, CasePrint, ReadEntry};
use domain::api::{CaseDetail, NamedRef};
use domain::privacy::{check_reason, in_case_team, GrantKind, ReadKind, ReasonError};
use domain::{FieldError, Permission};
use serde_json::json;

use super::audit::{self, Change};
use super::cases::{case_detail, case_filter, CaseQuery};
use super::export::{self, Disclosure, ExportStream, Format};
use super::{Actor, ServiceError, ServiceResult};
use crate::config::AppConfig;
use crate::storage::cases::{self as case_store, CaseFilter, CaseRow};
use crate::storage::privacy::{self as store, GrantRow, NewGrant, NewRead};
use crate::storage::{now_ms, Db};

/// Where a request came from, for grants and the read log: the client's IP
/// address as `http::extract::ClientAddr` worked it out.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub addr: Option<String>,
}

/// What a viewer may see of one case.
#[derive(Debug, Clone)]
pub struct CaseAccess {
    /// The assigned officer or an approving supervisor.
    pub team: bool,
    /// A child is in the case.
    pub protected: bool,
    /// The break-the-glass grant this viewer opened the case through.
    pub grant: Option<GrantRow>,
}

impl CaseAccess {
    /// Names, ID numbers and phone numbers in full.
    pub fn full(&self) -> bool {
        self.team || self.grant.is_some()
    }
}

fn reason_error(field: &'static str, e: ReasonError) -> ServiceError {
    ServiceError::Invalid(match e {
        ReasonError::TooShort => FieldError {
            field,
            code: "reason_too_short",
            message: "say why, in at least 10 characters",
        },
        ReasonError::TooLong => FieldError {
            field,
            code: "too_long",
            message: "is too long",
        },
    })
}

fn ms(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Decides what `actor` (who reads cases) may see of `case`. A protected case
/// outside the viewer's team needs a live break-the-glass grant: without one
/// the answer is `protected_case` (403), which the case page turns into the
/// form asking for a reason.
pub async fn case_access(db: &Db, actor: &Actor, case: &CaseRow) -> ServiceResult<CaseAccess> {
    actor.require(Permission::ReadCases)?;
    let team = in_case_team(actor.role, actor.user_id, case.officer_id);
    let protected = store::case_is_protected(db, case.id).await?;
    let grant = if team || !protected {
        None
    } else {
        let grant = store::active_grant(
            db,
            case.id,
            actor.user_id,
            GrantKind::CaseAccess.as_str(),
            now_ms(),
        )
        .await?;
        if grant.is_none() {
            return Err(ServiceError::Refused {
                code: "protected_case",
                message: "a child is in this case: state why you need it to open it".into(),
            });
        }
        grant
    };
    Ok(CaseAccess {
        team,
        protected,
        grant,
    })
}

/// Opens the case page: need to know decides full or masked details, and a
/// read of a protected case is logged before the page is given out.
#[tracing::instrument(skip_all, fields(case_id = id))]
pub async fn open_case(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    id: i64,
    client: &Client,
) -> ServiceResult<CaseDetail> {
    actor.require(Permission::ReadCases)?;
    let row = case_store::find_case(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let access = case_access(db, actor, &row).await?;
    let mut detail = case_detail(db, config, actor, row, access.full()).await?;
    detail.protected = access.protected;
    detail.access_expires_at = access.grant.as_ref().map(|g| g.expires_at);
    if access.protected {
        record_read(
            db,
            actor,
            id,
            ReadKind::CasePage,
            None,
            access.full(),
            access.grant.as_ref().map(|g| g.id),
            client,
        )
        .await?;
    }
    Ok(detail)
}

/// Appends one entry to the read log.
#[allow(clippy::too_many_arguments)]
pub async fn record_read(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    what: ReadKind,
    item: Option<&str>,
    full_details: bool,
    grant_id: Option<i64>,
    client: &Client,
) -> ServiceResult<()> {
    let mut tx = db.begin().await?;
    store::insert_read(
        &mut tx,
        &NewRead {
            at: now_ms(),
            user_id: actor.user_id,
            case_id,
            what: what.as_str(),
            item,
            full_details,
            grant_id,
            client_addr: client.addr.as_deref(),
            request_id: actor.request_id.as_deref(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Logs the read of a photo, signature or document of `case_id` when the
/// case is protected (callers have checked that the viewer may see it).
pub async fn record_file_read(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    what: ReadKind,
    item: &str,
    client: &Client,
) -> ServiceResult<()> {
    if store::case_is_protected(db, case_id).await? {
        record_read(db, actor, case_id, what, Some(item), true, None, client).await?;
    }
    Ok(())
}

fn grant_view(row: GrantRow, now: i64) -> ServiceResult<AccessGrant> {
    Ok(AccessGrant {
        id: row.id,
        case_id: row.case_id,
        case_number: row.case_number,
        user: NamedRef {
            id: row.user_id,
            name: row.user_name,
        },
        kind: GrantKind::parse(&row.kind)
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("unknown grant kind")))?,
        reason: row.reason,
        granted_at: row.granted_at,
        active: row.expires_at > now,
        expires_at: row.expires_at,
        client_addr: row.client_addr,
    })
}

/// Stores a grant and its audit entry in one transaction.
async fn grant(
    db: &Db,
    actor: &Actor,
    case_id: Option<i64>,
    kind: GrantKind,
    reason: &str,
    lifetime: std::time::Duration,
    client: &Client,
) -> ServiceResult<AccessGrant> {
    let now = now_ms();
    let expires_at = now.saturating_add(ms(lifetime));
    let mut tx = db.begin().await?;
    let id = store::insert_grant(
        &mut tx,
        &NewGrant {
            case_id,
            user_id: actor.user_id,
            kind: kind.as_str(),
            reason,
            granted_at: now,
            expires_at,
            client_addr: client.addr.as_deref(),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "access_grant",
            entity_id: id.to_string(),
            case_id,
            action: match kind {
                GrantKind::CaseAccess => "case.access_granted",
                GrantKind::Print | GrantKind::Export => "case.full_disclosure_granted",
            },
            before: None,
            after: Some(json!({
                "kind": kind.as_str(),
                "reason": reason,
                "expires_at": expires_at,
                "client_addr": client.addr,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    let row = store::find_grant(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    grant_view(row, now)
}

/// Break-the-glass: a case reader outside a protected case's team states why
/// and gets the case for `config.break_glass` (3 hours by default). The team
/// needs no grant (`in_team`), and a case without a child opens masked
/// without one (`not_protected`).
#[tracing::instrument(skip_all, fields(case_id = case_id))]
pub async fn break_glass(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    case_id: i64,
    input: AccessRequest,
    client: &Client,
) -> ServiceResult<AccessGrant> {
    actor.require(Permission::ReadCases)?;
    let reason = check_reason(&input.reason).map_err(|e| reason_error("reason", e))?;
    let case = case_store::find_case(db, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if in_case_team(actor.role, actor.user_id, case.officer_id) {
        return Err(ServiceError::Conflict {
            code: "in_team",
            message: "you are in this case's team and need no grant".into(),
        });
    }
    if !store::case_is_protected(db, case_id).await? {
        return Err(ServiceError::Conflict {
            code: "not_protected",
            message: "no child is in this case; it opens without a grant".into(),
        });
    }
    grant(
        db,
        actor,
        Some(case_id),
        GrantKind::CaseAccess,
        &reason,
        config.break_glass,
        client,
    )
    .await
}

/// Authorises disclosing in full (names, ID numbers, phone numbers, free
/// text) for a stated purpose: `what` is [`GrantKind::Print`] or
/// [`GrantKind::Export`]. For one case (`case_id` Some) its team may; for an
/// export spanning cases (`None`, the case list) any case reader may ask, and
/// the export shows in full only the cases of the reader's team. The grant lasts `config.disclosure` (15 minutes by default)
/// and is written to the audit log with the purpose; produce the full version
/// only after [`use_disclosure`] accepts the grant's id.
#[tracing::instrument(skip_all, fields(case_id = ?case_id, what = what.as_str()))]
pub async fn authorize_full_disclosure(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    case_id: Option<i64>,
    what: GrantKind,
    purpose: &str,
    client: &Client,
) -> ServiceResult<AccessGrant> {
    if what == GrantKind::CaseAccess {
        return Err(ServiceError::Invalid(FieldError {
            field: "what",
            code: "invalid_disclosure",
            message: "must be print or export",
        }));
    }
    let purpose = check_reason(purpose).map_err(|e| reason_error("purpose", e))?;
    match case_id {
        Some(id) => {
            actor.require(Permission::ReadCases)?;
            let case = case_store::find_case(db, id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            if !in_case_team(actor.role, actor.user_id, case.officer_id) {
                return Err(ServiceError::Forbidden);
            }
        }
        None => {
            // Spanning cases: an export of the case list. Supervisors get
            // every case in full, an officer only his own (see
            // `export::Disclosure::full_for`); nothing to print without a case.
            actor.require(Permission::ReadCases)?;
            if what != GrantKind::Export {
                return Err(ServiceError::Invalid(FieldError {
                    field: "what",
                    code: "invalid_disclosure",
                    message: "without a case only an export can be disclosed",
                }));
            }
        }
    }
    grant(
        db,
        actor,
        case_id,
        what,
        &purpose,
        config.disclosure,
        client,
    )
    .await
}

/// Checks a disclosure grant at the moment of use: the caller's own, of this
/// kind, for this case (or spanning cases), not expired. Refused with
/// `disclosure_not_valid` otherwise.
pub async fn use_disclosure(
    db: &Db,
    actor: &Actor,
    grant_id: i64,
    case_id: Option<i64>,
    what: GrantKind,
) -> ServiceResult<GrantRow> {
    let row = store::find_grant(db, grant_id).await?;
    match row {
        Some(g)
            if g.user_id == actor.user_id
                && g.kind == what.as_str()
                && g.case_id == case_id
                && g.expires_at > now_ms() =>
        {
            Ok(g)
        }
        _ => Err(disclosure_not_valid()),
    }
}

/// The printable case: redacted (names, ID numbers and phones masked; the
/// summary, the proposal's reasoning and timeline comments left out) unless
/// `disclosure` names a valid print grant, which gives the full case. A print
/// of a protected case, and every full print, goes to the read log.
#[tracing::instrument(skip_all, fields(case_id = id, full = disclosure.is_some()))]
pub async fn print_case(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    id: i64,
    disclosure: Option<i64>,
    client: &Client,
) -> ServiceResult<CasePrint> {
    actor.require(Permission::ReadCases)?;
    let row = case_store::find_case(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let access = case_access(db, actor, &row).await?;
    let grant = match disclosure {
        Some(grant_id) => {
            if !access.team {
                return Err(ServiceError::Forbidden);
            }
            Some(use_disclosure(db, actor, grant_id, Some(id), GrantKind::Print).await?)
        }
        None => None,
    };
    let full = grant.is_some();
    let mut case = case_detail(db, config, actor, row, full).await?;
    case.protected = access.protected;
    if !full {
        redact(&mut case);
    }
    if access.protected || full {
        record_read(
            db,
            actor,
            id,
            ReadKind::Print,
            None,
            full,
            grant.as_ref().map(|g| g.id),
            client,
        )
        .await?;
    }
    Ok(CasePrint {
        case,
        full,
        purpose: grant.map(|g| g.reason),
        printed_by: NamedRef {
            id: actor.user_id,
            name: actor.display_name.clone(),
        },
        printed_at: now_ms(),
    })
}

/// What leaves the system on a redacted print: no free text that may name
/// people, no ID numbers or phones in full (the persons are masked already).
fn redact(case: &mut CaseDetail) {
    case.summary = String::new();
    case.proposal_reasoning = None;
    case.criminal_case_ref = None;
    for event in &mut case.timeline {
        event.comment = None;
    }
    case.full_details = false;
}

/// Grants, newest first (expired ones included, marked), for supervisors.
pub async fn list_grants(
    db: &Db,
    actor: &Actor,
    kind: Option<GrantKind>,
) -> ServiceResult<Vec<AccessGrant>> {
    actor.require(Permission::ReadAccessLog)?;
    let now = now_ms();
    store::list_grants(db, kind.map(GrantKind::as_str), 500)
        .await?
        .into_iter()
        .map(|row| grant_view(row, now))
        .collect()
}

/// Who read this case, newest first, for supervisors.
pub async fn case_reads(db: &Db, actor: &Actor, case_id: i64) -> ServiceResult<Vec<ReadEntry>> {
    actor.require(Permission::ReadAccessLog)?;
    case_store::find_case(db, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    store::case_reads(db, case_id, 1000)
        .await?
        .into_iter()
        .map(|r| {
            Ok(ReadEntry {
                id: r.id,
                at: r.at,
                user: NamedRef {
                    id: r.user_id,
                    name: r.user_name,
                },
                what: ReadKind::parse(&r.what)
                    .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("unknown read kind")))?,
                item: r.item,
                full_details: r.full_details,
                grant_id: r.grant_id,
                client_addr: r.client_addr,
            })
        })
        .collect()
}

// ---- Exports -------------------------------------------------------------

fn disclosure_not_valid() -> ServiceError {
    ServiceError::Refused {
        code: "disclosure_not_valid",
        message: "the full version needs a current grant of your own; state the purpose again"
            .into(),
    }
}

/// Decides how a case-list export discloses people, and writes down what it
/// discloses before the first byte goes out, all in one transaction:
///
/// - without `disclosure`: masked; each child's case in it goes to the read
///   log as masked;
/// - with `disclosure`, the id of the caller's own export grant (from
///   `POST /api/v1/disclosures`, spanning cases, unexpired, unused): the grant
///   is used up, the export is audited with the grant's purpose and what it
///   covered, and each child's case in it goes to the read log, in full when
///   it is in the caller's team (every case for a supervisor, an officer's own
///   cases) and masked otherwise. A grant that is not valid refuses the export
///   (`disclosure_not_valid`) and nothing is written.
///
/// The read log lists the children's cases matching the filter at this
/// moment; a case accepted while the file streams may be in it unlogged.
pub async fn disclose_case_export(
    db: &Db,
    actor: &Actor,
    filter: &CaseFilter,
    format: Format,
    disclosure: Option<i64>,
    client: &Client,
) -> ServiceResult<Disclosure> {
    actor.require(Permission::ReadCases)?;
    let protected = case_store::protected_cases_matching(db, filter).await?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let (outcome, grant_id) = match disclosure {
        None => (Disclosure::Masked, None),
        Some(grant_id) => {
            let purpose = store::use_grant_once(
                &mut tx,
                grant_id,
                actor.user_id,
                GrantKind::Export.as_str(),
                now,
            )
            .await?
            .ok_or_else(disclosure_not_valid)?;
            let outcome = Disclosure::Full {
                role: actor.role,
                user_id: actor.user_id,
            };
            let full_cases = protected
                .iter()
                .filter(|c| outcome.full_for(c.officer_id))
                .count();
            audit::record(
                &mut tx,
                Some(actor),
                Change {
                    entity_type: "access_grant",
                    entity_id: grant_id.to_string(),
                    case_id: None,
                    action: "cases.exported_in_full",
                    before: None,
                    after: Some(json!({
                        "purpose": purpose,
                        "format": format.extension(),
                        // The filter, but not a searched text: it may be a name.
                        "filter": {
                            "state": filter.state,
                            "village_id": filter.village_id,
                            "officer_id": filter.officer_id,
                            "year": filter.year,
                            "channel": filter.channel,
                            "priority_group": filter.priority_group,
                            "searched": filter.text.is_some(),
                            "overdue": filter.overdue.is_some(),
                        },
                        "children_cases": protected.len(),
                        "children_cases_in_full": full_cases,
                        "client_addr": client.addr,
                    })),
                },
            )
            .await?;
            (outcome, Some(grant_id))
        }
    };
    for case in &protected {
        let full = outcome.full_for(case.officer_id);
        store::insert_read(
            &mut tx,
            &NewRead {
                at: now,
                user_id: actor.user_id,
                case_id: case.id,
                what: ReadKind::Export.as_str(),
                item: None,
                full_details: full,
                grant_id: if full { grant_id } else { None },
                client_addr: client.addr.as_deref(),
                request_id: actor.request_id.as_deref(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// The case-list export (`GET /api/v1/cases/export.csv|xlsx`): masked, or in
/// full with an export grant, as [`disclose_case_export`] decides and records.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(user_id = actor.user_id, full = disclosure.is_some()))]
pub async fn export_cases(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    query: &CaseQuery,
    format: Format,
    lang: Option<&str>,
    disclosure: Option<i64>,
    client: &Client,
) -> ServiceResult<ExportStream> {
    // The filter first: a request refused for a bad filter uses no grant.
    let filter = case_filter(config, actor, query)?;
    let disclosure = disclose_case_export(db, actor, &filter, format, disclosure, client).await?;
    export::export_cases(db, config, actor, query, format, lang, disclosure)
}

// ---- Retention -----------------------------------------------------------

/// What an archiving run found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveOutcome {
    /// Cases old enough and not yet archived.
    pub due: usize,
    pub archived: usize,
}

/// A year, for retention: 365.25 days.
const YEAR_MS: i64 = 31_557_600_000;

/// Removes the personal details of cases closed or withdrawn more than
/// `years` years ago, one case per transaction with its audit entry
/// (`case.archived`). Rerunning it archives nothing twice.
pub async fn archive_closed_cases(
    db: &Db,
    years: u32,
    dry_run: bool,
) -> ServiceResult<ArchiveOutcome> {
    archive_closed_before(db, now_ms() - i64::from(years) * YEAR_MS, dry_run).await
}

/// [`archive_closed_cases`] with the cut-off given as a time (UTC ms).
pub async fn archive_closed_before(
    db: &Db,
    before: i64,
    dry_run: bool,
) -> ServiceResult<ArchiveOutcome> {
    let due = store::cases_to_archive(db, before).await?;
    let mut archived = 0;
    if !dry_run {
        for &case_id in &due {
            let mut tx = db.begin().await?;
            if store::archive_case(&mut tx, case_id, now_ms()).await? {
                audit::record(
                    &mut tx,
                    None,
                    Change {
                        entity_type: "case",
                        entity_id: case_id.to_string(),
                        case_id: Some(case_id),
                        action: "case.archived",
                        before: None,
                        after: Some(json!({ "policy": "README#privacy", "closed_before": before })),
                    },
                )
                .await?;
                archived += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(ArchiveOutcome {
        due: due.len(),
        archived,
    })
}
