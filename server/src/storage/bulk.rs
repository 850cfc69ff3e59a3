//! Many rows at once, for generated volume data (`jiuzhu demo --cases N`)
//! and for restoring backups.
//!
//! Rows go in as multi-row `INSERT … VALUES (…), (…)` statements with bound
//! values, a few hundred rows per statement, which both databases take at
//! hundreds of thousands of rows a second inside one transaction.

use super::{on_db, on_tx, Db, StorageResult, Tx};

/// One value of a generated row.
#[derive(Debug, Clone)]
pub enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    OptBool(Option<bool>),
    OptReal(Option<f64>),
    OptBytes(Option<Vec<u8>>),
}

/// Stays well below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
const MAX_PARAMS: usize = 4_000;

/// Inserts `rows` (each with one value per column) into `table`.
/// `table` and `columns` are fixed names from the caller, never user input.
pub async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
) -> StorageResult<()> {
    let per_statement = (MAX_PARAMS / columns.len()).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            debug_assert_eq!(row.len(), columns.len());
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for j in 0..row.len() {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        on_tx!(tx, conn => {
            let mut query = sqlx::query(&sql);
            for value in chunk.iter().flatten() {
                query = match value {
                    Value::Int(v) => query.bind(*v),
                    Value::OptInt(v) => query.bind(*v),
                    Value::Text(v) => query.bind(v.as_str()),
                    Value::OptText(v) => query.bind(v.as_deref()),
                    Value::Bool(v) => query.bind(*v),
                    Value::OptBool(v) => query.bind(*v),
                    Value::OptReal(v) => query.bind(*v),
                    Value::OptBytes(v) => query.bind(v.as_deref()),
                };
            }
            query.execute(conn).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// The largest id in `table` (0 when empty), to number generated rows after it.
pub async fn max_id(tx: &mut Tx, table: &str) -> StorageResult<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(&sql).fetch_one(conn).await)
}

/// After rows were inserted with explicit ids, PostgreSQL's identity
/// sequences must move past them or the next ordinary insert collides.
pub async fn resync_ids(db: &Db, tables: &[&str]) -> StorageResult<()> {
    if let Db::Postgres(pool) = db {
        for table in tables {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            );
            sqlx::query(&sql).execute(pool).await?;
        }
    }
    Ok(())
}

/// Raises the case-number counter of `year` to at least `last_seq`.
pub async fn raise_case_counter(tx: &mut Tx, year: i64, last_seq: i64) -> StorageResult<()> {
    let sql = "INSERT INTO case_counters (year, last_seq) VALUES ($1, $2) \
               ON CONFLICT (year) DO UPDATE SET last_seq = CASE WHEN case_counters.last_seq > excluded.last_seq \
               THEN case_counters.last_seq ELSE excluded.last_seq END";
    on_tx!(tx, conn => sqlx::query(sql).bind(year).bind(last_seq).execute(conn).await.map(|_| ()))
}

/// The last case number of each year.
pub async fn case_counters(db: &Db) -> StorageResult<Vec<(i64, i64)>> {
    let sql = "SELECT year, last_seq FROM case_counters";
    on_db!(db, pool => sqlx::query_as::<_, (i64, i64)>(sql).fetch_all(pool).await)
}

/// Refreshes the planner's statistics after a bulk load. PostgreSQL also
/// vacuums, as autovacuum would a little later: until the visibility map is
/// set, counting from an index still reads every table page it points to
/// (the capped count of the approval inbox took 10-130 ms instead of 3 ms at
/// a million cases).
pub async fn analyze(db: &Db) -> StorageResult<()> {
    let sql = match db {
        Db::Sqlite(_) => "ANALYZE",
        Db::Postgres(_) => "VACUUM (ANALYZE)",
    };
    on_db!(db, pool => sqlx::query(sql).execute(pool).await.map(|_| ()))
}
