//! Login sessions, kept in the database so any server instance can serve any request.

use sqlx::postgres::PgListener;
use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

/// The PostgreSQL channel on which ended sessions are announced, so that every
/// instance drops them from its cache ([`crate::service::session_cache`]).
pub const ENDED_CHANNEL: &str = "jiuzhu_sessions_ended";

/// What an announcement on [`ENDED_CHANNEL`] says has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// One session, by the hash of its token.
    Session(String),
    /// Every session of one user.
    User(i64),
}

impl Ended {
    pub(crate) fn payload(&self) -> String {
        match self {
            Ended::Session(token_hash) => format!("session:{token_hash}"),
            Ended::User(user_id) => format!("user:{user_id}"),
        }
    }

    /// The announcement in `payload`; `None` for anything else.
    pub fn parse(payload: &str) -> Option<Ended> {
        match payload.split_once(':')? {
            ("session", token_hash) => Some(Ended::Session(token_hash.to_string())),
            ("user", user_id) => user_id.parse().ok().map(Ended::User),
            _ => None,
        }
    }
}

/// The session's user, as needed to authorise a request.
#[derive(Debug, Clone, FromRow)]
pub struct SessionUserRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub village_id: Option<i64>,
    pub agency_id: Option<i64>,
    /// When the session itself ends, in ms since the epoch.
    pub expires_at: i64,
}

pub async fn insert(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> StorageResult<()> {
    let sql = "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    on_db!(db, pool => sqlx::query(sql).bind(token_hash).bind(user_id).bind(now).bind(expires_at).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The user of a live session; disabled users and expired sessions give `None`.
pub async fn find_user(
    db: &Db,
    token_hash: &str,
    now: i64,
) -> StorageResult<Option<SessionUserRow>> {
    let sql =
        "SELECT u.id AS user_id, u.username, u.display_name, u.role, u.village_id, u.agency_id, s.expires_at \
               FROM sessions s JOIN users u ON u.id = s.user_id \
               WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled";
    on_db!(db, pool => sqlx::query_as::<_, SessionUserRow>(sql).bind(token_hash).bind(now).fetch_optional(pool).await)
}

/// Ends one session and, on PostgreSQL, announces it to every instance.
pub async fn delete(db: &Db, token_hash: &str) -> StorageResult<()> {
    let sql = "DELETE FROM sessions WHERE token_hash = $1";
    match db {
        Db::Sqlite(pool) => {
            sqlx::query(sql).bind(token_hash).execute(pool).await?;
        }
        Db::Postgres(pool) => {
            // In one transaction, so the announcement goes out exactly when the row is gone.
            let mut tx = pool.begin().await?;
            sqlx::query(sql).bind(token_hash).execute(&mut *tx).await?;
            announce(&mut tx, &Ended::Session(token_hash.to_string())).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Ends every session of a user; on PostgreSQL the announcement goes out when
/// `tx` commits (PostgreSQL holds a NOTIFY until then).
pub async fn delete_for_user(tx: &mut Tx, user_id: i64) -> StorageResult<()> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(conn).await.map(|r| r.rows_affected()))?;
    if let Tx::Postgres(tx) = tx {
        announce(tx, &Ended::User(user_id)).await?;
    }
    Ok(())
}

async fn announce(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    ended: &Ended,
) -> StorageResult<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(ENDED_CHANNEL)
        .bind(ended.payload())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A connection listening on [`ENDED_CHANNEL`]; `None` on SQLite, which has no
/// such announcements (one process serves a SQLite file).
pub async fn listen_for_ended(db: &Db) -> StorageResult<Option<PgListener>> {
    match db {
        Db::Sqlite(_) => Ok(None),
        Db::Postgres(pool) => {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(ENDED_CHANNEL).await?;
            Ok(Some(listener))
        }
    }
}

pub async fn delete_expired(db: &Db, now: i64) -> StorageResult<u64> {
    let done = on_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done)
}
