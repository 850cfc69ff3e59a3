//! Failed-login counters, shared by all instances through the database.

use super::{on_db, Db, StorageResult};

/// Until when `username` is locked out (0 when it is not).
pub async fn locked_until(db: &Db, username: &str) -> StorageResult<i64> {
    let sql = "SELECT locked_until FROM login_throttle WHERE username = $1";
    let found = on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).bind(username).fetch_optional(pool).await)?;
    Ok(found.unwrap_or(0))
}

/// Counts one failure atomically and returns the failures in the current window.
/// A failure after `window_start` continues the count; an older one restarts it.
/// Reaching `lock_after` failures sets the lock to `lock_until`.
pub async fn record_failure(
    db: &Db,
    username: &str,
    now: i64,
    window_start: i64,
    lock_after: i64,
    lock_until: i64,
) -> StorageResult<i64> {
    let sql = "INSERT INTO login_throttle (username, failures, last_failure_at, locked_until) \
               VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $5 ELSE 0 END) \
               ON CONFLICT (username) DO UPDATE SET \
                 failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
                 last_failure_at = $2, \
                 locked_until = CASE WHEN (CASE WHEN login_throttle.last_failure_at < $3 THEN 1 ELSE login_throttle.failures + 1 END) >= $4 \
                                     THEN $5 ELSE login_throttle.locked_until END \
               RETURNING failures";
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql)
        .bind(username)
        .bind(now)
        .bind(window_start)
        .bind(lock_after)
        .bind(lock_until)
        .fetch_one(pool)
        .await)
}

pub async fn clear(db: &Db, username: &str) -> StorageResult<()> {
    on_db!(db, pool => sqlx::query("DELETE FROM login_throttle WHERE username = $1").bind(username).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}
