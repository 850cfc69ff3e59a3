//! All SQL lives here. The rest of the server sees typed functions.
//!
//! One SQL text serves SQLite and PostgreSQL wherever the dialects agree
//! (`$1` placeholders, `RETURNING`, `ON CONFLICT`); the [`on_db!`] and [`on_tx!`]
//! macros expand the same body once per backend so each runs with its native
//! driver types (sqlx's `Any` driver mishandles SQLite booleans).

pub mod audit;
pub mod backup;
pub mod bulk;
pub mod cases;
pub mod facts;
pub mod money;
pub mod places;
pub mod privacy;
pub mod referrals;
pub mod rollup;
pub mod screening;
pub mod sessions;
pub mod stats;
pub mod throttle;
pub mod users;
pub mod visits;

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// A connection pool to whichever database the deployment uses.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A write transaction on either database. A SQLite write transaction also
/// holds this process's turn to write ([`WriteTurn`]).
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, Option<WriteTurn>),
    Postgres(Transaction<'static, Postgres>),
}

/// SQLite has one writer at a time. Left to itself, a writer that finds the
/// database locked sleeps and retries (the busy timeout) with growing naps,
/// so under a burst of writes some wait hundreds of milliseconds while others
/// slip in ahead. Writers of this process therefore queue for their turn on a
/// fair (first come, first served) lock per database file before `BEGIN
/// IMMEDIATE`; the busy timeout still covers other processes (the CLI).
pub struct WriteTurn(#[allow(dead_code)] tokio::sync::OwnedMutexGuard<()>);

/// How long a writer waits for its turn, as long as SQLite's busy timeout.
const WRITE_TURN_WAIT: Duration = Duration::from_secs(10);

async fn sqlite_write_turn(pool: &SqlitePool) -> StorageResult<WriteTurn> {
    type Turns = std::sync::Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>;
    static TURNS: OnceLock<Turns> = OnceLock::new();
    let file = pool.connect_options().get_filename().to_path_buf();
    let turn = TURNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(file)
        .or_default()
        .clone();
    match tokio::time::timeout(WRITE_TURN_WAIT, turn.lock_owned()).await {
        Ok(guard) => Ok(WriteTurn(guard)),
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite($pool) => $body,
            $crate::storage::Db::Postgres($pool) => $body,
        }
    };
}
/// Runs `$body` with `$conn` bound to the concrete connection of a transaction.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::storage::Tx::Sqlite(tx, _) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::storage::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
pub(crate) use {on_db, on_tx};

pub type StorageResult<T> = Result<T, sqlx::Error>;

/// A PostgreSQL connection idle this long is pinged before its next use.
const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

impl Db {
    /// Connects to `url`: `sqlite:path` (the file is created if missing) or
    /// `postgres://...`.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                // Sixteen for queries and one that listens for ended sessions.
                .max_connections(17)
                // A ping before every query doubled a busy server's round
                // trips. A connection in steady use proves itself alive with
                // each query; one that sat idle may have outlived a database
                // restart, so only that one is checked before it is handed out.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= POSTGRES_PING_AFTER_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .after_release(|conn, _| Box::pin(outside_transaction::<Postgres>(conn)))
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL + NORMAL survives a process crash; only an OS crash can
                // lose the last transactions, never corrupt the file.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                // A connection to a local file does not go stale, and the
                // check before each use was a round trip to the connection's
                // thread: one per query, as many as the queries themselves.
                .test_before_acquire(false)
                .after_release(|conn, _| Box::pin(outside_transaction::<Sqlite>(conn)))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(pool))
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres://")
        }
    }

    /// Applies pending migrations; an error here must stop the server.
    /// Migrations only go forward: a database already migrated by a newer
    /// jiuzhu is refused, untouched, rather than half-understood.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let known = self.known_schema_version();
        let current = self.schema_version().await?;
        if current > known {
            anyhow::bail!(
                "the database is at schema version {current}, newer than this jiuzhu {} knows \
                 (up to {known}); run the newer jiuzhu that upgraded it, or restore a backup",
                env!("CARGO_PKG_VERSION")
            );
        }
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Applies migrations up to `version` only: upgrade tests build an old
    /// release's schema with it, fill it, then run [`Db::migrate`].
    pub async fn migrate_to(&self, version: i64) -> anyhow::Result<()> {
        let all = match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        let migrator = sqlx::migrate::Migrator {
            migrations: all
                .iter()
                .filter(|m| m.version <= version)
                .cloned()
                .collect::<Vec<_>>()
                .into(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        match self {
            Db::Sqlite(pool) => migrator.run(pool).await?,
            Db::Postgres(pool) => migrator.run(pool).await?,
        }
        Ok(())
    }

    /// The newest migration this build knows.
    pub fn known_schema_version(&self) -> i64 {
        let migrator = match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The newest migration applied to the database (0 for a new one).
    pub async fn schema_version(&self) -> StorageResult<i64> {
        let exists = match self {
            Db::Sqlite(pool) => {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_one(pool)
                .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
                )
                .fetch_one(pool)
                .await?
            }
        };
        if exists == 0 {
            return Ok(0);
        }
        let sql = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";
        on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await)
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so two writers queue on the busy timeout instead of
    /// one failing when it upgrades a read lock.
    pub async fn begin(&self) -> StorageResult<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => {
                let turn = sqlite_write_turn(pool).await?;
                Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Cheap round trip for the readiness probe.
    pub async fn ping(&self) -> StorageResult<()> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

/// Whether a connection coming back to the pool may stay in it: only outside
/// any transaction. sqlx rolls back a transaction whose owner dropped it, yet
/// requests cut off mid-write under load have left a connection with one still
/// open: the next `BEGIN` on it failed, and on SQLite the open transaction held
/// the write lock, so every other writer waited out the busy timeout. Such a
/// connection is closed instead, which ends its transaction.
async fn outside_transaction<DB: sqlx::Database>(
    conn: &mut DB::Connection,
) -> Result<bool, sqlx::Error> {
    use sqlx::{Connection, TransactionManager};
    if DB::TransactionManager::get_transaction_depth(conn) == 0 {
        return Ok(true);
    }
    // A rollback queued by a dropped transaction runs before the ping returns.
    conn.ping().await?;
    if DB::TransactionManager::get_transaction_depth(conn) == 0 {
        return Ok(true);
    }
    tracing::warn!("a connection came back to the pool inside a transaction; closing it");
    Ok(false)
}

impl Tx {
    pub async fn commit(self) -> StorageResult<()> {
        match self {
            Tx::Sqlite(tx, _) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> StorageResult<()> {
        match self {
            Tx::Sqlite(tx, _) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
    }
}

/// True when the error is a unique-constraint violation (on either database).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Current time as UTC unix milliseconds, the timestamp format of every table.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
