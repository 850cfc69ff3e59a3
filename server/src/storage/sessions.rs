//! Login sessions, kept in the database so any server instance can serve any request.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

/// The session's user, as needed to authorise a request.
#[derive(Debug, Clone, FromRow)]
pub struct SessionUserRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub village_id: Option<i64>,
    pub agency_id: Option<i64>,
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
        "SELECT u.id AS user_id, u.username, u.display_name, u.role, u.village_id, u.agency_id \
               FROM sessions s JOIN users u ON u.id = s.user_id \
               WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled";
    on_db!(db, pool => sqlx::query_as::<_, SessionUserRow>(sql).bind(token_hash).bind(now).fetch_optional(pool).await)
}

pub async fn delete(db: &Db, token_hash: &str) -> StorageResult<()> {
    on_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_for_user(tx: &mut Tx, user_id: i64) -> StorageResult<()> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_expired(db: &Db, now: i64) -> StorageResult<u64> {
    let done = on_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done)
}
