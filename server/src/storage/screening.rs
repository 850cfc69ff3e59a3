//! Case screening: imported files, their unreadable rows, the flagged people
//! and the remembered column mapping.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct ImportRow {
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub status: String,
    pub mapping_json: Option<String>,
    pub rows_total: i64,
    pub rows_flagged: i64,
    pub rows_known: i64,
    pub rows_error: i64,
    pub uploaded_by: i64,
    pub uploaded_by_name: String,
    pub uploaded_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct RowErrorRow {
    pub line: i64,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct FlagRow {
    pub id: i64,
    pub import_id: i64,
    pub line: i64,
    pub criminal_case_ref: String,
    pub name: String,
    pub id_number: Option<String>,
    pub village_id: Option<i64>,
    pub village_name: Option<String>,
    pub phone: Option<String>,
    pub reasons: String,
    pub status: String,
    pub dismiss_reason: Option<String>,
    pub lead_id: Option<i64>,
    pub file_name: String,
    pub created_at: i64,
}

pub struct NewFlag<'a> {
    pub import_id: i64,
    pub line: i64,
    pub criminal_case_ref: &'a str,
    pub name: &'a str,
    pub id_number: Option<&'a str>,
    pub village_id: Option<i64>,
    pub phone: Option<&'a str>,
    pub reasons: &'a str,
    pub dedupe_key: &'a str,
    pub now: i64,
}

pub struct ImportCounts {
    pub rows_total: i64,
    pub rows_flagged: i64,
    pub rows_known: i64,
    pub rows_error: i64,
}

const IMPORT_SELECT: &str =
    "SELECT i.id, i.file_name, i.sha256, i.status, i.mapping_json, i.rows_total, i.rows_flagged, \
     i.rows_known, i.rows_error, i.uploaded_by, u.display_name AS uploaded_by_name, i.uploaded_at \
     FROM screening_imports i JOIN users u ON u.id = i.uploaded_by";

const FLAG_SELECT: &str = "SELECT f.id, f.import_id, f.line, f.criminal_case_ref, f.name, f.id_number, f.village_id, \
     v.name AS village_name, f.phone, f.reasons, f.status, f.dismiss_reason, f.lead_id, i.file_name, f.created_at \
     FROM screening_flags f JOIN screening_imports i ON i.id = f.import_id LEFT JOIN villages v ON v.id = f.village_id";

pub async fn remembered_mapping(db: &Db) -> StorageResult<Option<String>> {
    let sql = "SELECT mapping_json FROM screening_mappings WHERE id = 1";
    on_db!(db, pool => sqlx::query_scalar::<_, String>(sql).fetch_optional(pool).await)
}

pub async fn remember_mapping(
    tx: &mut Tx,
    mapping_json: &str,
    user_id: i64,
    now: i64,
) -> StorageResult<()> {
    let sql = "INSERT INTO screening_mappings (id, mapping_json, updated_by, updated_at) VALUES (1, $1, $2, $3) \
               ON CONFLICT (id) DO UPDATE SET mapping_json = excluded.mapping_json, \
               updated_by = excluded.updated_by, updated_at = excluded.updated_at";
    on_tx!(tx, conn => sqlx::query(sql).bind(mapping_json).bind(user_id).bind(now).execute(conn).await.map(|_| ()))
}

/// Inserts a new import; `None` when a file with this hash is already known
/// (the unique index decides, so two simultaneous uploads cannot both win).
pub async fn insert_import(
    tx: &mut Tx,
    file_name: &str,
    sha256: &str,
    file_bytes: &[u8],
    user_id: i64,
    now: i64,
) -> StorageResult<Option<i64>> {
    let sql = "INSERT INTO screening_imports (file_name, sha256, status, file_bytes, uploaded_by, uploaded_at) \
               VALUES ($1, $2, 'needs_mapping', $3, $4, $5) ON CONFLICT (sha256) DO NOTHING RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(file_name)
        .bind(sha256)
        .bind(file_bytes)
        .bind(user_id)
        .bind(now)
        .fetch_optional(conn)
        .await)
}

pub async fn find_import(db: &Db, id: i64) -> StorageResult<Option<ImportRow>> {
    let sql = format!("{IMPORT_SELECT} WHERE i.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, ImportRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_import_by_hash(db: &Db, sha256: &str) -> StorageResult<Option<ImportRow>> {
    let sql = format!("{IMPORT_SELECT} WHERE i.sha256 = $1");
    on_db!(db, pool => sqlx::query_as::<_, ImportRow>(&sql).bind(sha256).fetch_optional(pool).await)
}

pub async fn list_imports(db: &Db, limit: i64) -> StorageResult<Vec<ImportRow>> {
    let sql = format!("{IMPORT_SELECT} ORDER BY i.id DESC LIMIT $1");
    on_db!(db, pool => sqlx::query_as::<_, ImportRow>(&sql).bind(limit).fetch_all(pool).await)
}

/// The stored file of an import still waiting for its mapping.
pub async fn pending_file(tx: &mut Tx, id: i64) -> StorageResult<Option<Vec<u8>>> {
    let sql = "SELECT file_bytes FROM screening_imports WHERE id = $1 AND status = 'needs_mapping'";
    let bytes = on_tx!(tx, conn => sqlx::query_scalar::<_, Option<Vec<u8>>>(sql).bind(id).fetch_optional(conn).await)?;
    Ok(bytes.flatten())
}

/// Marks an import done and drops the stored file; false when it was already done.
pub async fn finish_import(
    tx: &mut Tx,
    id: i64,
    mapping_json: &str,
    counts: &ImportCounts,
    now: i64,
) -> StorageResult<bool> {
    let sql = "UPDATE screening_imports SET status = 'imported', file_bytes = NULL, mapping_json = $1, \
               rows_total = $2, rows_flagged = $3, rows_known = $4, rows_error = $5, imported_at = $6 \
               WHERE id = $7 AND status = 'needs_mapping'";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(mapping_json)
        .bind(counts.rows_total)
        .bind(counts.rows_flagged)
        .bind(counts.rows_known)
        .bind(counts.rows_error)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn insert_row_error(
    tx: &mut Tx,
    import_id: i64,
    line: i64,
    code: &str,
    message: &str,
) -> StorageResult<()> {
    let sql =
        "INSERT INTO screening_row_errors (import_id, line, code, message) VALUES ($1, $2, $3, $4)";
    on_tx!(tx, conn => sqlx::query(sql).bind(import_id).bind(line).bind(code).bind(message).execute(conn).await.map(|_| ()))
}

pub async fn row_errors(db: &Db, import_id: i64) -> StorageResult<Vec<RowErrorRow>> {
    let sql = "SELECT line, code, message FROM screening_row_errors WHERE import_id = $1 ORDER BY line, id";
    on_db!(db, pool => sqlx::query_as::<_, RowErrorRow>(sql).bind(import_id).fetch_all(pool).await)
}

/// Inserts a flag unless the same person in the same case is already flagged;
/// true when it was new.
pub async fn insert_flag(tx: &mut Tx, flag: &NewFlag<'_>) -> StorageResult<bool> {
    let sql = "INSERT INTO screening_flags (import_id, line, criminal_case_ref, name, id_number, village_id, phone, \
               reasons, status, dedupe_key, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $10) ON CONFLICT (dedupe_key) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(flag.import_id)
        .bind(flag.line)
        .bind(flag.criminal_case_ref)
        .bind(flag.name)
        .bind(flag.id_number)
        .bind(flag.village_id)
        .bind(flag.phone)
        .bind(flag.reasons)
        .bind(flag.dedupe_key)
        .bind(flag.now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn list_flags(db: &Db, status: Option<&str>, limit: i64) -> StorageResult<Vec<FlagRow>> {
    let sql = format!("{FLAG_SELECT} WHERE ($1 IS NULL OR f.status = $1) ORDER BY f.id LIMIT $2");
    on_db!(db, pool => sqlx::query_as::<_, FlagRow>(&sql).bind(status).bind(limit).fetch_all(pool).await)
}

pub async fn find_flag(db: &Db, id: i64) -> StorageResult<Option<FlagRow>> {
    let sql = format!("{FLAG_SELECT} WHERE f.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, FlagRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_flag_tx(tx: &mut Tx, id: i64) -> StorageResult<Option<FlagRow>> {
    let sql = format!("{FLAG_SELECT} WHERE f.id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, FlagRow>(&sql).bind(id).fetch_optional(conn).await)
}

/// Closes an open flag (`lead` with its lead, or `dismissed` with a reason);
/// false when it was not open any more, so two officers cannot both act on it.
pub async fn close_flag(
    tx: &mut Tx,
    id: i64,
    status: &str,
    lead_id: Option<i64>,
    dismiss_reason: Option<&str>,
    now: i64,
) -> StorageResult<bool> {
    let sql = "UPDATE screening_flags SET status = $1, lead_id = $2, dismiss_reason = $3, updated_at = $4 \
               WHERE id = $5 AND status = 'open'";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(status)
        .bind(lead_id)
        .bind(dismiss_reason)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Every village as (name, id), to look the rows' village names up in memory.
pub async fn village_names(tx: &mut Tx) -> StorageResult<Vec<(String, i64)>> {
    let sql = "SELECT name, id FROM villages ORDER BY id";
    on_tx!(tx, conn => sqlx::query_as::<_, (String, i64)>(sql).fetch_all(conn).await)
}
