//! Backup and restore of a whole installation, on either database and across
//! them (a SQLite backup restores into PostgreSQL and the other way round).
//!
//! A backup file is gzip-compressed JSON lines:
//!
//! ```text
//! {"format":"jiuzhu-backup","version":1,"schema_version":9,"created_at":…,"source":"sqlite"}
//! {"table":"villages","columns":["id","name",…]}
//! [1,"小甸村",…]                       one line per row
//! …                                      every table, parents before children
//! {"end":true,"rows":{"villages":12,…},"sha256":"…"}
//! ```
//!
//! The checksum covers every line before the last. Photos and documents live
//! in the database, so they are in the file too. The rows are read in one
//! snapshot transaction, so the copy is consistent while the server keeps
//! serving. A restore goes into an empty database of the same schema version,
//! in one transaction: a damaged, truncated or foreign file leaves nothing behind.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::config::BackupSchedule;
use crate::metrics::Metrics;
use crate::storage::backup::{self as store, Cell, ColumnKind, TableInfo};
use crate::storage::{bulk, now_ms, Db};

const FORMAT: &str = "jiuzhu-backup";
const VERSION: u32 = 1;
/// Rows per INSERT batch on restore.
const BATCH: usize = 500;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    schema_version: i64,
    created_at: i64,
    source: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct TableStart {
    table: String,
    columns: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Trailer {
    end: bool,
    rows: BTreeMap<String, u64>,
    sha256: String,
}

/// What a backup or a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub schema_version: i64,
    /// Rows per table.
    pub rows: BTreeMap<String, u64>,
    /// SHA-256 of the backup file as stored (for the administrator's records).
    pub file_sha256: String,
    pub file_bytes: u64,
}

/// Why a file cannot be restored; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("{0} is not a Jiuzhu backup file")]
    Foreign(String),
    #[error("{path} is damaged: {reason}")]
    Damaged { path: String, reason: String },
    #[error("the backup is of schema version {backup} but the database is at {ours}; restore into a new, empty database (a newer backup needs a newer jiuzhu)")]
    SchemaMismatch { backup: i64, ours: i64 },
    #[error("the target database is not empty (table {0} has rows); restore only into a new, empty database")]
    NotEmpty(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for RestoreError {
    fn from(e: sqlx::Error) -> Self {
        RestoreError::Other(e.into())
    }
}

fn source_name(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "sqlite",
        Db::Postgres(_) => "postgres",
    }
}

/// Writes a line and feeds it to the checksum.
struct LineWriter<W: Write> {
    out: W,
    hash: Sha256,
}

impl<W: Write> LineWriter<W> {
    fn line(&mut self, value: &impl Serialize) -> anyhow::Result<()> {
        let mut text = serde_json::to_vec(value)?;
        text.push(b'\n');
        self.hash.update(&text);
        self.out.write_all(&text)?;
        Ok(())
    }
}

fn cell_json(cell: Cell) -> Value {
    match cell {
        Cell::Int(v) => v.map_or(Value::Null, Value::from),
        Cell::Real(v) => v.map_or(Value::Null, Value::from),
        Cell::Text(v) => v.map_or(Value::Null, Value::from),
        Cell::Bool(v) => v.map_or(Value::Null, Value::from),
        Cell::Bytes(v) => v.map_or(
            Value::Null,
            |b| json!({ "b64": base64::engine::general_purpose::STANDARD.encode(b) }),
        ),
    }
}

/// A JSON value as a cell of `kind`, whatever database the backup came from
/// (SQLite keeps booleans as 0 and 1).
fn json_cell(value: &Value, kind: ColumnKind) -> Option<Cell> {
    Some(match (kind, value) {
        (ColumnKind::Int, Value::Null) => Cell::Int(None),
        (ColumnKind::Int, v) => Cell::Int(Some(v.as_i64()?)),
        (ColumnKind::Real, Value::Null) => Cell::Real(None),
        (ColumnKind::Real, v) => Cell::Real(Some(v.as_f64()?)),
        (ColumnKind::Text, Value::Null) => Cell::Text(None),
        (ColumnKind::Text, v) => Cell::Text(Some(v.as_str()?.to_string())),
        (ColumnKind::Bool, Value::Null) => Cell::Bool(None),
        (ColumnKind::Bool, Value::Bool(b)) => Cell::Bool(Some(*b)),
        (ColumnKind::Bool, v) => Cell::Bool(Some(v.as_i64()? != 0)),
        (ColumnKind::Bytes, Value::Null) => Cell::Bytes(None),
        (ColumnKind::Bytes, v) => Cell::Bytes(Some(
            base64::engine::general_purpose::STANDARD
                .decode(v.get("b64")?.as_str()?)
                .ok()?,
        )),
    })
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

fn file_sha256(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file = BufReader::new(File::open(path)?);
    let mut hash = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hash)?;
    Ok((hex(&hash.finalize()), bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Copies the whole database to `path` (written beside it first, then
/// renamed, so `path` is never a half-written file).
pub async fn backup(db: &Db, path: &Path) -> anyhow::Result<Summary> {
    let schema_version = db.schema_version().await?;
    let partial = partial_path(path);
    let file = File::create(&partial)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", partial.display()))?;
    let mut out = LineWriter {
        out: GzEncoder::new(BufWriter::with_capacity(1 << 20, file), Compression::fast()),
        hash: Sha256::new(),
    };
    out.line(&Header {
        format: FORMAT.into(),
        version: VERSION,
        schema_version,
        created_at: now_ms(),
        source: source_name(db).into(),
    })?;
    let mut tx = db.begin_snapshot().await?;
    let tables = store::tables(&mut tx).await?;
    let mut rows = BTreeMap::new();
    for table in &tables {
        out.line(&TableStart {
            table: table.name.clone(),
            columns: table.columns.iter().map(|(n, _)| n.clone()).collect(),
        })?;
        let count = store::for_each_row(&mut tx, table, |cells| {
            out.line(&cells.into_iter().map(cell_json).collect::<Vec<_>>())
        })
        .await?;
        rows.insert(table.name.clone(), count);
    }
    tx.rollback().await?;
    let sha256 = hex(&out.hash.clone().finalize());
    let trailer = Trailer {
        end: true,
        rows: rows.clone(),
        sha256,
    };
    let mut text = serde_json::to_vec(&trailer)?;
    text.push(b'\n');
    out.out.write_all(&text)?;
    let file = out.out.finish()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&partial, path)?;
    let (file_sha256, file_bytes) = file_sha256(path)?;
    Ok(Summary {
        schema_version,
        rows,
        file_sha256,
        file_bytes,
    })
}

/// The schema version a backup file was made at, from its first line.
pub fn schema_version_of(path: &Path) -> Result<i64, RestoreError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| anyhow::anyhow!("cannot read {shown}: {e}"))?;
    let mut first = Vec::new();
    BufReader::new(GzDecoder::new(BufReader::new(file)))
        .read_until(b'\n', &mut first)
        .map_err(|_| RestoreError::Foreign(shown.clone()))?;
    let header: Header =
        serde_json::from_slice(&first).map_err(|_| RestoreError::Foreign(shown.clone()))?;
    if header.format != FORMAT {
        return Err(RestoreError::Foreign(shown));
    }
    Ok(header.schema_version)
}

/// Restores a backup into a brand-new database: the schema is built up to the
/// backup's version, the rows go in, and the newer migrations then carry them
/// forward, so a backup made by an older release restores too.
pub async fn restore_into_new(db: &Db, path: &Path) -> Result<Summary, RestoreError> {
    let version = schema_version_of(path)?;
    let known = db.known_schema_version();
    if version > known {
        return Err(RestoreError::SchemaMismatch {
            backup: version,
            ours: known,
        });
    }
    if db.schema_version().await? == 0 {
        db.migrate_to(version).await?;
    } else {
        db.migrate().await?;
    }
    let summary = restore(db, path).await?;
    db.migrate().await?;
    Ok(summary)
}

/// Restores `path` into `db`, which must be empty and at the backup's schema version.
pub async fn restore(db: &Db, path: &Path) -> Result<Summary, RestoreError> {
    let shown = path.display().to_string();
    let damaged = |reason: String| RestoreError::Damaged {
        path: shown.clone(),
        reason,
    };
    let file = File::open(path).map_err(|e| anyhow::anyhow!("cannot read {shown}: {e}"))?;
    let mut lines = BufReader::new(GzDecoder::new(BufReader::new(file))).split(b'\n');
    let mut hash = Sha256::new();
    let mut next_line = |hash: &mut Sha256, feed: bool| -> Result<Option<Vec<u8>>, RestoreError> {
        match lines.next() {
            None => Ok(None),
            Some(Err(e)) => Err(RestoreError::Damaged {
                path: shown.clone(),
                reason: format!("unreadable ({e})"),
            }),
            Some(Ok(mut line)) => {
                if feed {
                    line.push(b'\n');
                    hash.update(&line);
                    line.pop();
                }
                Ok(Some(line))
            }
        }
    };

    // The header: a foreign or unreadable file goes no further.
    let first = match next_line(&mut hash, true) {
        Ok(Some(line)) => line,
        Ok(None) | Err(_) => return Err(RestoreError::Foreign(shown.clone())),
    };
    let header: Header =
        serde_json::from_slice(&first).map_err(|_| RestoreError::Foreign(shown.clone()))?;
    if header.format != FORMAT {
        return Err(RestoreError::Foreign(shown.clone()));
    }
    if header.version != VERSION {
        return Err(damaged(format!(
            "backup format version {} is not known to this jiuzhu",
            header.version
        )));
    }
    let ours = db.schema_version().await?;
    if header.schema_version != ours {
        return Err(RestoreError::SchemaMismatch {
            backup: header.schema_version,
            ours,
        });
    }

    let mut tx = db.begin().await?;
    let target: BTreeMap<String, TableInfo> = store::tables(&mut tx)
        .await?
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    for name in target.keys() {
        if !store::is_empty(&mut tx, name).await? {
            return Err(RestoreError::NotEmpty(name.clone()));
        }
    }

    let mut rows = BTreeMap::new();
    let mut current: Option<(TableInfo, Vec<usize>)> = None;
    let mut batch: Vec<Vec<Cell>> = Vec::with_capacity(BATCH);
    let trailer = loop {
        // The trailer is not part of its own checksum: read it before hashing.
        let line = match next_line(&mut hash, false)? {
            Some(line) => line,
            None => return Err(damaged("it ends early (no end marker)".into())),
        };
        let value: Value = serde_json::from_slice(&line)
            .map_err(|e| damaged(format!("a line is not JSON ({e})")))?;
        if value.get("end").is_some() {
            break serde_json::from_value::<Trailer>(value)
                .map_err(|e| damaged(format!("bad end marker ({e})")))?;
        }
        let mut fed = line.clone();
        fed.push(b'\n');
        hash.update(&fed);
        match value {
            Value::Object(_) => {
                if let Some((table, _)) = current.take() {
                    store::insert(&mut tx, &table, std::mem::take(&mut batch)).await?;
                }
                let start: TableStart = serde_json::from_value(value)
                    .map_err(|e| damaged(format!("bad table line ({e})")))?;
                let table = target
                    .get(&start.table)
                    .cloned()
                    .ok_or_else(|| damaged(format!("table {} does not exist here", start.table)))?;
                // The file's column order, mapped onto the target's.
                let positions = table
                    .columns
                    .iter()
                    .map(|(name, _)| {
                        start.columns.iter().position(|c| c == name).ok_or_else(|| {
                            damaged(format!("column {}.{name} is missing", start.table))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                rows.insert(table.name.clone(), 0u64);
                current = Some((table, positions));
            }
            Value::Array(values) => {
                let (table, positions) = current
                    .as_ref()
                    .ok_or_else(|| damaged("a row before any table".into()))?;
                let cells = table
                    .columns
                    .iter()
                    .zip(positions)
                    .map(|((name, kind), at)| {
                        values
                            .get(*at)
                            .and_then(|v| json_cell(v, *kind))
                            .ok_or_else(|| damaged(format!("bad value in {}.{name}", table.name)))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                batch.push(cells);
                *rows.get_mut(&table.name).expect("table started") += 1;
                if batch.len() == BATCH {
                    store::insert(&mut tx, table, std::mem::take(&mut batch)).await?;
                }
            }
            _ => return Err(damaged("unexpected line".into())),
        }
    };
    if let Some((table, _)) = current.take() {
        store::insert(&mut tx, &table, batch).await?;
    }
    if hex(&hash.finalize()) != trailer.sha256 {
        return Err(damaged("checksum mismatch".into()));
    }
    if trailer.rows != rows {
        return Err(damaged("row counts differ from the end marker".into()));
    }
    // Whatever the rollups held does not describe the restored cases: the
    // next start (or statistics read) counts them afresh.
    crate::storage::rollup::clear_if_present(&mut tx).await?;
    tx.commit().await?;
    let with_ids: Vec<&str> = target
        .values()
        .filter(|t| t.has_numbered_id())
        .map(|t| t.name.as_str())
        .collect();
    bulk::resync_ids(db, &with_ids).await?;
    let (file_sha256, file_bytes) = file_sha256(path)?;
    Ok(Summary {
        schema_version: header.schema_version,
        rows,
        file_sha256,
        file_bytes,
    })
}

/// One scheduled backup into `schedule.dir`, then pruning; the result goes
/// to the log and to `/metrics`.
pub async fn scheduled_once(
    db: &Db,
    schedule: &BackupSchedule,
    metrics: &Metrics,
) -> anyhow::Result<PathBuf> {
    let now = now_ms();
    let result = async {
        std::fs::create_dir_all(&schedule.dir)?;
        let path = schedule.dir.join(scheduled_name(now));
        let summary = backup(db, &path).await?;
        let removed = prune(&schedule.dir, schedule.keep)?;
        Ok::<_, anyhow::Error>((path, summary, removed.len()))
    }
    .await;
    match result {
        Ok((path, summary, removed)) => {
            metrics.observe_job("backup", Ok(summary.file_bytes), now / 1000);
            tracing::info!(file = %path.display(), bytes = summary.file_bytes, sha256 = %summary.file_sha256, removed, "scheduled backup written");
            Ok(path)
        }
        Err(e) => {
            metrics.observe_job("backup", Err(()), now / 1000);
            tracing::error!(error = %e, "scheduled backup failed");
            Err(e)
        }
    }
}

/// Runs `scheduled_once` every `schedule.interval`, the first one interval after start.
pub async fn run_schedule(db: Db, schedule: BackupSchedule, metrics: std::sync::Arc<Metrics>) {
    let mut ticks = tokio::time::interval_at(
        tokio::time::Instant::now() + schedule.interval,
        schedule.interval,
    );
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        // Failures are logged and counted; the next tick tries again.
        let _ = scheduled_once(&db, &schedule, &metrics).await;
    }
}

/// Keeps the newest `keep` files named `jiuzhu-*.jzb` in `dir`, deleting older ones.
pub fn prune(dir: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("jiuzhu-") && n.ends_with(".jzb"))
        })
        .collect();
    // Names carry a sortable UTC timestamp.
    files.sort();
    let excess = files.len().saturating_sub(keep);
    let removed: Vec<PathBuf> = files.into_iter().take(excess).collect();
    for path in &removed {
        std::fs::remove_file(path)?;
    }
    Ok(removed)
}

/// The file name of a scheduled backup taken at `at` (UTC ms): sortable by time.
pub fn scheduled_name(at: i64) -> String {
    let secs = at.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let (y, m, d) = domain::date::civil_from_days(days);
    let rest = secs.rem_euclid(86_400);
    format!(
        "jiuzhu-{y:04}{m:02}{d:02}-{:02}{:02}{:02}.jzb",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_survive_json_across_backends() {
        let cases = [
            (Cell::Int(Some(-5)), ColumnKind::Int),
            (Cell::Int(None), ColumnKind::Int),
            (Cell::Real(Some(32.266_123_456_789)), ColumnKind::Real),
            (Cell::Real(None), ColumnKind::Real),
            (Cell::Text(Some("张三 \"引号\"".into())), ColumnKind::Text),
            (Cell::Bool(Some(true)), ColumnKind::Bool),
            (Cell::Bytes(Some(vec![0, 255, 10, 13])), ColumnKind::Bytes),
            (Cell::Bytes(None), ColumnKind::Bytes),
        ];
        for (cell, kind) in cases {
            assert_eq!(json_cell(&cell_json(cell.clone()), kind), Some(cell));
        }
        // SQLite's booleans are 0 and 1.
        assert_eq!(
            json_cell(&json!(1), ColumnKind::Bool),
            Some(Cell::Bool(Some(true)))
        );
        assert_eq!(json_cell(&json!("x"), ColumnKind::Int), None);
    }

    #[test]
    fn scheduled_names_sort_by_time() {
        assert_eq!(scheduled_name(0), "jiuzhu-19700101-000000.jzb");
        assert_eq!(
            scheduled_name(1_796_000_000_000),
            "jiuzhu-20261130-005320.jzb"
        );
        assert!(scheduled_name(1_796_000_000_000) < scheduled_name(1_796_000_001_000));
    }
}
