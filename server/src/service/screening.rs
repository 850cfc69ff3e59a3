//! Case screening (案件管理筛查): an officer uploads the case-handling
//! system's list of criminal cases; the victims worth an aid lead are flagged
//! with the reasons; each flag becomes a lead or is dismissed.
//!
//! An import is one transaction: its rows, flags, row errors and audit entry
//! are written together or not at all. The same file (by SHA-256) is imported
//! once, and a person is flagged once per criminal case however many files
//! list them (a unique key decides, with `ON CONFLICT DO NOTHING`).

pub mod table;

use std::collections::HashMap;

use domain::api::{LeadView, NamedRef, NewLead, PersonInput};
use domain::case::{mask_name, mask_phone, Channel};
use domain::date::{china_date, format_date};
use domain::idcard::mask_id_number;
use domain::screening::{
    guess_mapping, normalize_heading, reasons_from_text, reasons_to_text, screen_row,
    ColumnMapping, DismissFlag, FlagReason, FlagToLead, RawRow, ScreeningField, ScreeningFlagView,
    ScreeningImportView, ScreeningRowError, ScreeningUpload,
};
use domain::{FieldError, Permission};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{self, Change};
use super::cases::{self, LeadError};
use super::{Actor, ServiceError, ServiceResult};
use crate::storage::screening::{self as store, FlagRow, ImportCounts, ImportRow, NewFlag};
use crate::storage::{now_ms, Db, Tx};
use table::{Table, TableError};

fn invalid(field: &'static str, code: &'static str, message: &'static str) -> ServiceError {
    ServiceError::Invalid(FieldError {
        field,
        code,
        message,
    })
}

fn table_error(e: TableError) -> ServiceError {
    match e {
        TableError::Empty => invalid("file", "empty_file", "the file holds no heading row"),
        TableError::Unreadable => invalid(
            "file",
            "unreadable_file",
            "the file is neither CSV nor a readable XLSX workbook",
        ),
        TableError::TooManyRows => invalid(
            "file",
            "too_many_rows",
            "the file has more than 20000 rows; split it",
        ),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn mapping_from_json(text: Option<&str>) -> Option<ColumnMapping> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

fn mapping_to_json(mapping: &ColumnMapping) -> ServiceResult<String> {
    serde_json::to_string(mapping).map_err(|e| ServiceError::Internal(e.into()))
}

async fn import_view(db: &Db, row: ImportRow) -> ServiceResult<ScreeningImportView> {
    let errors = store::row_errors(db, row.id)
        .await?
        .into_iter()
        .map(|e| ScreeningRowError {
            line: e.line,
            code: e.code,
            message: e.message,
        })
        .collect();
    Ok(ScreeningImportView {
        id: row.id,
        file_name: row.file_name,
        status: row.status,
        uploaded_by: NamedRef {
            id: row.uploaded_by,
            name: row.uploaded_by_name,
        },
        uploaded_at: row.uploaded_at,
        rows_total: row.rows_total,
        rows_flagged: row.rows_flagged,
        rows_known: row.rows_known,
        rows_error: row.rows_error,
        mapping: mapping_from_json(row.mapping_json.as_deref()),
        errors,
    })
}

async fn upload_answer(
    db: &Db,
    import_id: i64,
    outcome: &str,
    headers: Vec<String>,
    proposed: ColumnMapping,
) -> ServiceResult<ScreeningUpload> {
    let row = store::find_import(db, import_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(ScreeningUpload {
        outcome: outcome.to_string(),
        import: import_view(db, row).await?,
        headers,
        proposed,
    })
}

/// The mapping to offer for `headers`: the remembered one where its headings
/// are in this file, the gaps filled by guessing.
async fn proposed_mapping(db: &Db, headers: &[String]) -> ServiceResult<ColumnMapping> {
    let guess = guess_mapping(headers);
    let remembered = mapping_from_json(store::remembered_mapping(db).await?.as_deref());
    Ok(match remembered {
        Some(remembered) => remembered.merged_with(&guess, headers),
        None => guess,
    })
}

/// Takes an uploaded file. It is imported at once when the remembered (or a
/// confidently guessed) mapping finds the required columns; otherwise it is
/// kept, and the answer carries the headings for the officer to map.
/// The same file uploaded again writes nothing and says so.
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub async fn upload(
    db: &Db,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
) -> ServiceResult<ScreeningUpload> {
    actor.require(Permission::LogLeads)?;
    let file_name = file_name.trim();
    let file_name = if file_name.is_empty() {
        "upload"
    } else {
        file_name
    };
    if file_name.chars().count() > 200 {
        return Err(invalid("file_name", "too_long", "is too long"));
    }
    if bytes.is_empty() {
        return Err(invalid("file", "empty_file", "the file is empty"));
    }
    let sha256 = sha256_hex(bytes);
    let table = table::read(bytes).map_err(table_error)?;
    let proposed = proposed_mapping(db, &table.headers).await?;

    let now = now_ms();
    let mut tx = db.begin().await?;
    let Some(import_id) =
        store::insert_import(&mut tx, file_name, &sha256, bytes, actor.user_id, now).await?
    else {
        // Known file: nothing to write.
        drop(tx);
        let existing = store::find_import_by_hash(db, &sha256)
            .await?
            .ok_or(ServiceError::NotFound)?;
        return if existing.status == "needs_mapping" {
            upload_answer(db, existing.id, "needs_mapping", table.headers, proposed).await
        } else {
            upload_answer(db, existing.id, "already_imported", table.headers, proposed).await
        };
    };
    let outcome = match proposed.resolve(&table.headers) {
        Ok(_) => {
            run_import(&mut tx, actor, import_id, &table, &proposed, now).await?;
            "imported"
        }
        Err(_) => {
            audit::record(
                &mut tx,
                Some(actor),
                Change {
                    entity_type: "screening_import",
                    entity_id: import_id.to_string(),
                    case_id: None,
                    action: "screening.uploaded",
                    before: None,
                    after: Some(json!({ "sha256": sha256, "status": "needs_mapping" })),
                },
            )
            .await?;
            "needs_mapping"
        }
    };
    tx.commit().await?;
    upload_answer(db, import_id, outcome, table.headers, proposed).await
}

/// The officer's choice of columns for a file waiting for it: remembered for
/// the next file, and the file imported with it.
#[tracing::instrument(skip_all, fields(import_id = id))]
pub async fn choose_mapping(
    db: &Db,
    actor: &Actor,
    id: i64,
    mapping: ColumnMapping,
) -> ServiceResult<ScreeningUpload> {
    actor.require(Permission::LogLeads)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let Some(bytes) = store::pending_file(&mut tx, id).await? else {
        drop(tx);
        return match store::find_import(db, id).await? {
            Some(_) => Err(ServiceError::Conflict {
                code: "import_done",
                message: "this file was already imported".into(),
            }),
            None => Err(ServiceError::NotFound),
        };
    };
    let table = table::read(&bytes).map_err(table_error)?;
    let known: Vec<String> = table.headers.iter().map(|h| normalize_heading(h)).collect();
    for field in ScreeningField::ALL {
        if mapping
            .get(field)
            .is_some_and(|h| !known.contains(&normalize_heading(h)))
        {
            return Err(invalid(
                field.as_str(),
                "unknown_column",
                "no such column in the file",
            ));
        }
    }
    if let Err(missing) = mapping.resolve(&table.headers) {
        let field = missing.first().map_or("case_ref", |f| f.as_str());
        return Err(invalid(field, "column_required", "choose the column"));
    }
    store::remember_mapping(&mut tx, &mapping_to_json(&mapping)?, actor.user_id, now).await?;
    run_import(&mut tx, actor, id, &table, &mapping, now).await?;
    tx.commit().await?;
    upload_answer(db, id, "imported", table.headers, mapping).await
}

/// Screens every row inside `tx`: row errors with their lines, new flags, the
/// counts, and the audit entry.
async fn run_import(
    tx: &mut Tx,
    actor: &Actor,
    import_id: i64,
    table: &Table,
    mapping: &ColumnMapping,
    now: i64,
) -> ServiceResult<()> {
    let index = mapping
        .resolve(&table.headers)
        .map_err(|_| invalid("case_ref", "column_required", "choose the column"))?;
    let mut villages: HashMap<String, Vec<i64>> = HashMap::new();
    for (name, id) in store::village_names(tx).await? {
        villages.entry(name).or_default().push(id);
    }
    let today = china_date(now);
    let mut counts = ImportCounts {
        rows_total: table.rows.len() as i64 + table.bad_lines.len() as i64,
        rows_flagged: 0,
        rows_known: 0,
        rows_error: 0,
    };
    for line in &table.bad_lines {
        store::insert_row_error(
            tx,
            import_id,
            *line,
            "unreadable_row",
            "the line cannot be read",
        )
        .await?;
        counts.rows_error += 1;
    }
    let header_count = table.headers.len();
    for row in &table.rows {
        let extra = row
            .cells
            .iter()
            .skip(header_count)
            .any(|c| !c.trim().is_empty());
        if extra {
            store::insert_row_error(
                tx,
                import_id,
                row.line,
                "column_count",
                "the row has more cells than the heading",
            )
            .await?;
            counts.rows_error += 1;
            continue;
        }
        let screened = match screen_row(&RawRow::from_cells(&index, &row.cells), today) {
            Ok(screened) => screened,
            Err(problem) => {
                store::insert_row_error(tx, import_id, row.line, problem.code, problem.message)
                    .await?;
                counts.rows_error += 1;
                continue;
            }
        };
        let village_id = match screened.village.as_deref() {
            None => None,
            Some(name) => match villages.get(name.trim()).map(Vec::as_slice) {
                Some([id]) => Some(*id),
                Some([_, _, ..]) => {
                    store::insert_row_error(
                        tx,
                        import_id,
                        row.line,
                        "ambiguous_village",
                        "several villages have this name",
                    )
                    .await?;
                    counts.rows_error += 1;
                    continue;
                }
                _ => {
                    store::insert_row_error(
                        tx,
                        import_id,
                        row.line,
                        "unknown_village",
                        "no village of this name",
                    )
                    .await?;
                    counts.rows_error += 1;
                    continue;
                }
            },
        };
        if screened.reasons.is_empty() {
            continue;
        }
        let inserted = store::insert_flag(
            tx,
            &NewFlag {
                import_id,
                line: row.line,
                criminal_case_ref: &screened.case_ref,
                name: &screened.name,
                id_number: screened.id_number.as_deref(),
                village_id,
                phone: screened.phone.as_deref(),
                reasons: &reasons_to_text(&screened.reasons),
                dedupe_key: &screened.dedupe_key(),
                now,
            },
        )
        .await?;
        if inserted {
            counts.rows_flagged += 1;
        } else {
            counts.rows_known += 1;
        }
    }
    if !store::finish_import(tx, import_id, &mapping_to_json(mapping)?, &counts, now).await? {
        return Err(ServiceError::Conflict {
            code: "import_done",
            message: "this file was already imported".into(),
        });
    }
    audit::record(
        tx,
        Some(actor),
        Change {
            entity_type: "screening_import",
            entity_id: import_id.to_string(),
            case_id: None,
            action: "screening.imported",
            before: None,
            after: Some(json!({
                "rows_total": counts.rows_total,
                "rows_flagged": counts.rows_flagged,
                "rows_known": counts.rows_known,
                "rows_error": counts.rows_error,
            })),
        },
    )
    .await?;
    Ok(())
}

pub async fn get_import(db: &Db, actor: &Actor, id: i64) -> ServiceResult<ScreeningImportView> {
    actor.require(Permission::ReadCases)?;
    let row = store::find_import(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    import_view(db, row).await
}

/// The mapping remembered from the last choice (empty when none was made).
pub async fn remembered_mapping(db: &Db, actor: &Actor) -> ServiceResult<ColumnMapping> {
    actor.require(Permission::ReadCases)?;
    Ok(mapping_from_json(store::remembered_mapping(db).await?.as_deref()).unwrap_or_default())
}

fn flag_view(row: FlagRow) -> ScreeningFlagView {
    ScreeningFlagView {
        id: row.id,
        import_id: row.import_id,
        line: row.line,
        criminal_case_ref: row.criminal_case_ref,
        name: mask_name(&row.name),
        id_number: row.id_number.map(|n| mask_id_number(&n)),
        village: match (row.village_id, row.village_name) {
            (Some(id), Some(name)) => Some(NamedRef { id, name }),
            _ => None,
        },
        phone: row.phone.map(|p| mask_phone(&p)),
        reasons: reasons_from_text(&row.reasons),
        status: row.status,
        dismiss_reason: row.dismiss_reason,
        lead_id: row.lead_id,
        created_at: row.created_at,
    }
}

pub async fn list_flags(
    db: &Db,
    actor: &Actor,
    status: Option<&str>,
) -> ServiceResult<Vec<ScreeningFlagView>> {
    actor.require(Permission::ReadCases)?;
    if let Some(s) = status {
        if !matches!(s, "open" | "lead" | "dismissed") {
            return Err(invalid(
                "status",
                "invalid_status",
                "must be open, lead or dismissed",
            ));
        }
    }
    Ok(store::list_flags(db, status, 500)
        .await?
        .into_iter()
        .map(flag_view)
        .collect())
}

/// How a reason reads in a lead's summary; the summary is part of the case
/// file, written in the procuratorate's language.
fn reason_text(reason: FlagReason) -> &'static str {
    match reason {
        FlagReason::Minor => "未成年人",
        FlagReason::Disabled => "残疾人",
        FlagReason::Veteran => "退役军人",
        FlagReason::PoorHousehold => "建档立卡/低保等困难家庭",
        FlagReason::CompensationUnpaid => "未获赔偿",
    }
}

fn flag_not_open() -> ServiceError {
    ServiceError::Conflict {
        code: "flag_not_open",
        message: "this flag was already turned into a lead or dismissed".into(),
    }
}

/// Turns a flag into an aid lead — the lead and the flag's new state in one
/// transaction. The duplicate warning of [`cases::create_lead`] applies.
#[tracing::instrument(skip_all, fields(flag_id = id))]
pub async fn flag_to_lead(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: FlagToLead,
) -> Result<LeadView, LeadError> {
    actor.require(Permission::LogLeads)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let flag = store::find_flag_tx(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if flag.status != "open" {
        return Err(flag_not_open().into());
    }
    let village_id = flag.village_id.or(input.village_id).ok_or_else(|| {
        invalid(
            "village_id",
            "village_required",
            "choose the person's village",
        )
    })?;
    let reasons = reasons_from_text(&flag.reasons);
    let reporter: String = format!("案件管理筛查：{}", flag.file_name)
        .chars()
        .take(100)
        .collect();
    let summary = format!(
        "案件管理筛查发现：{}（{}，第{}行）。",
        reasons
            .iter()
            .map(|r| reason_text(*r))
            .collect::<Vec<_>>()
            .join("、"),
        flag.criminal_case_ref,
        flag.line
    );
    let lead = NewLead {
        channel: Channel::CaseScreening,
        channel_detail: None,
        received_on: format_date(china_date(now)),
        reporter,
        summary,
        people: vec![PersonInput {
            name: flag.name.clone(),
            id_number: flag.id_number.clone(),
            village_id,
            phone: flag.phone.clone(),
            priority_groups: reasons.iter().filter_map(|r| r.priority_group()).collect(),
        }],
        confirm_duplicate: input.confirm_duplicate,
    };
    let lead_id = cases::create_lead_in(&mut tx, actor, lead).await?;
    if !store::close_flag(&mut tx, id, "lead", Some(lead_id), None, now).await? {
        return Err(flag_not_open().into());
    }
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "screening_flag",
            entity_id: id.to_string(),
            case_id: None,
            action: "screening_flag.lead",
            before: Some(json!({ "status": "open" })),
            after: Some(json!({ "status": "lead", "lead_id": lead_id })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(cases::get_lead(db, actor, lead_id).await?)
}

#[tracing::instrument(skip_all, fields(flag_id = id))]
pub async fn dismiss_flag(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: DismissFlag,
) -> ServiceResult<ScreeningFlagView> {
    actor.require(Permission::LogLeads)?;
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "required", "must not be empty"));
    }
    if reason.chars().count() > 1000 {
        return Err(invalid("reason", "too_long", "is too long"));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    if store::find_flag_tx(&mut tx, id).await?.is_none() {
        return Err(ServiceError::NotFound);
    }
    if !store::close_flag(&mut tx, id, "dismissed", None, Some(reason), now).await? {
        return Err(flag_not_open());
    }
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "screening_flag",
            entity_id: id.to_string(),
            case_id: None,
            action: "screening_flag.dismissed",
            before: Some(json!({ "status": "open" })),
            after: Some(json!({ "status": "dismissed", "reason": reason })),
        },
    )
    .await?;
    tx.commit().await?;
    let row = store::find_flag(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(flag_view(row))
}
