//! Whole-database copies for backup, restore and moving between backends:
//! which tables there are (parents before children), their columns' kinds,
//! every row read from one consistent snapshot, rows written back.

use std::collections::{BTreeMap, BTreeSet};

use futures::TryStreamExt;
use sqlx::Row;

use super::bulk::{self, Value};
use super::{on_tx, Db, StorageResult, Tx};

/// Tables that are not copied: the migration ledger belongs to the target's
/// own migrations, sessions and login throttling are short-lived, and the
/// statistics rollups are counted afresh from the restored cases.
const NOT_COPIED: &[&str] = &[
    "_sqlx_migrations",
    "sessions",
    "login_throttle",
    "stat_days",
    "stat_state",
];

/// How a column's values are read and bound, the same on both databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Int,
    /// Floating point: GPS positions only, never money.
    Real,
    Text,
    Bool,
    Bytes,
}

impl ColumnKind {
    /// From a declared SQLite type or a PostgreSQL `data_type`.
    fn from_declared(declared: &str) -> Option<ColumnKind> {
        match declared.to_ascii_lowercase().as_str() {
            "integer" | "bigint" | "smallint" | "int" => Some(ColumnKind::Int),
            "real" | "double precision" | "double" | "float" => Some(ColumnKind::Real),
            "text" | "character varying" => Some(ColumnKind::Text),
            "boolean" => Some(ColumnKind::Bool),
            "blob" | "bytea" => Some(ColumnKind::Bytes),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<(String, ColumnKind)>,
}

impl TableInfo {
    pub fn has_id(&self) -> bool {
        self.columns.iter().any(|(name, _)| name == "id")
    }

    /// An integer `id`, which PostgreSQL numbers from a sequence (others,
    /// such as ids made on phones, are text).
    pub fn has_numbered_id(&self) -> bool {
        self.columns
            .iter()
            .any(|(name, kind)| name == "id" && *kind == ColumnKind::Int)
    }
}

/// One value read from a row; `None` is SQL NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
}

impl Cell {
    fn into_value(self) -> Value {
        match self {
            Cell::Int(v) => Value::OptInt(v),
            Cell::Real(v) => Value::OptReal(v),
            Cell::Text(v) => Value::OptText(v),
            Cell::Bool(v) => Value::OptBool(v),
            Cell::Bytes(v) => Value::OptBytes(v),
        }
    }
}

impl Db {
    /// A read-only transaction that sees one consistent state of the whole
    /// database while writers carry on (SQLite's WAL snapshot from the first
    /// read; PostgreSQL's repeatable read).
    pub async fn begin_snapshot(&self) -> StorageResult<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?, None),
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                Tx::Postgres(tx)
            }
        })
    }
}

/// The copied tables with their columns, parents before children (so rows
/// can be inserted in this order with foreign keys enforced).
pub async fn tables(tx: &mut Tx) -> anyhow::Result<Vec<TableInfo>> {
    let (names, references): (Vec<String>, Vec<(String, String)>) = match tx {
        Tx::Sqlite(conn, _) => {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(&mut **conn)
            .await?;
            let mut references = Vec::new();
            for name in &names {
                let parents: Vec<String> =
                    sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_list($1)")
                        .bind(name)
                        .fetch_all(&mut **conn)
                        .await?;
                references.extend(parents.into_iter().map(|p| (name.clone(), p)));
            }
            (names, references)
        }
        Tx::Postgres(conn) => {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            )
            .fetch_all(&mut **conn)
            .await?;
            let references: Vec<(String, String)> = sqlx::query_as(
                "SELECT c.relname::text, p.relname::text FROM pg_constraint k \
                 JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid \
                 WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace",
            )
            .fetch_all(&mut **conn)
            .await?;
            (names, references)
        }
    };
    let names: Vec<String> = names
        .into_iter()
        .filter(|n| !NOT_COPIED.contains(&n.as_str()))
        .collect();
    let mut infos = Vec::with_capacity(names.len());
    for name in parents_first(&names, &references)? {
        let columns = columns(tx, &name).await?;
        infos.push(TableInfo { name, columns });
    }
    Ok(infos)
}

/// Orders `names` so that every table comes after the tables it refers to
/// (a table referring to itself is fine; its rows go in id order).
fn parents_first(names: &[String], references: &[(String, String)]) -> anyhow::Result<Vec<String>> {
    let known: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = names
        .iter()
        .map(|n| (n.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in references {
        if child != parent && known.contains(child.as_str()) && known.contains(parent.as_str()) {
            parents
                .get_mut(child.as_str())
                .expect("known table")
                .insert(parent.as_str());
        }
    }
    let mut ordered = Vec::with_capacity(names.len());
    let mut placed = BTreeSet::new();
    while ordered.len() < names.len() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(name, ps)| !placed.contains(*name) && ps.iter().all(|p| placed.contains(p)))
            .map(|(name, _)| *name)
            .collect();
        anyhow::ensure!(!ready.is_empty(), "the tables' foreign keys form a cycle");
        for name in ready {
            placed.insert(name);
            ordered.push(name.to_string());
        }
    }
    Ok(ordered)
}

async fn columns(tx: &mut Tx, table: &str) -> anyhow::Result<Vec<(String, ColumnKind)>> {
    let declared: Vec<(String, String)> = match tx {
        Tx::Sqlite(conn, _) => {
            sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&mut **conn)
                .await?
        }
        Tx::Postgres(conn) => {
            sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut **conn)
            .await?
        }
    };
    declared
        .into_iter()
        .map(|(name, declared)| {
            let kind = ColumnKind::from_declared(&declared).ok_or_else(|| {
                anyhow::anyhow!("column {table}.{name} has a type backups do not know: {declared}")
            })?;
            Ok((name, kind))
        })
        .collect()
}

/// Calls `each` with every row of `table`, in id order (or in the order of
/// all columns for tables without an id), without holding the table in memory.
pub async fn for_each_row<F>(tx: &mut Tx, table: &TableInfo, mut each: F) -> anyhow::Result<u64>
where
    F: FnMut(Vec<Cell>) -> anyhow::Result<()>,
{
    let names: Vec<&str> = table.columns.iter().map(|(n, _)| n.as_str()).collect();
    let order = if table.has_id() {
        "id".to_string()
    } else {
        (1..=names.len())
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Table and column names come from the database's own catalogue.
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {order}",
        names.join(", "),
        table.name
    );
    let mut count = 0;
    on_tx!(tx, conn => {
        let mut rows = sqlx::query(&sql).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let mut cells = Vec::with_capacity(names.len());
            for (i, (_, kind)) in table.columns.iter().enumerate() {
                cells.push(match kind {
                    ColumnKind::Int => Cell::Int(row.try_get(i)?),
                    ColumnKind::Real => Cell::Real(row.try_get(i)?),
                    ColumnKind::Text => Cell::Text(row.try_get(i)?),
                    ColumnKind::Bool => Cell::Bool(row.try_get(i)?),
                    ColumnKind::Bytes => Cell::Bytes(row.try_get(i)?),
                });
            }
            each(cells)?;
            count += 1;
        }
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(count)
}

/// Whether `table` has no rows.
pub async fn is_empty(tx: &mut Tx, table: &str) -> StorageResult<bool> {
    let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT 1) AS t");
    let n: i64 = on_tx!(tx, conn => sqlx::query_scalar(&sql).fetch_one(&mut *conn).await)?;
    Ok(n == 0)
}

/// Inserts rows of `table` (cells in the order of `table.columns`).
pub async fn insert(tx: &mut Tx, table: &TableInfo, rows: Vec<Vec<Cell>>) -> StorageResult<()> {
    let columns: Vec<&str> = table.columns.iter().map(|(n, _)| n.as_str()).collect();
    let rows: Vec<Vec<Value>> = rows
        .into_iter()
        .map(|row| row.into_iter().map(Cell::into_value).collect())
        .collect();
    bulk::insert_rows(tx, &table.name, &columns, &rows).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parents_come_before_children_and_self_references_do_not_block() {
        let tables = names(&["cases", "people", "users", "villages", "case_events"]);
        let refs = vec![
            ("cases".to_string(), "people".to_string()),
            ("cases".to_string(), "users".to_string()),
            ("people".to_string(), "villages".to_string()),
            ("case_events".to_string(), "cases".to_string()),
            ("users".to_string(), "users".to_string()),
            ("users".to_string(), "villages".to_string()),
        ];
        let order = parents_first(&tables, &refs).unwrap();
        let at = |t: &str| order.iter().position(|n| n == t).unwrap();
        assert!(at("villages") < at("people"));
        assert!(at("villages") < at("users"));
        assert!(at("people") < at("cases") && at("users") < at("cases"));
        assert!(at("cases") < at("case_events"));
        assert_eq!(order.len(), 5);
    }

    #[test]
    fn a_cycle_is_refused() {
        let tables = names(&["a", "b"]);
        let refs = vec![
            ("a".to_string(), "b".to_string()),
            ("b".to_string(), "a".to_string()),
        ];
        assert!(parents_first(&tables, &refs).is_err());
    }
}
