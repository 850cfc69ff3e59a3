//! Accounts.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub village_id: Option<i64>,
    pub village_name: Option<String>,
    pub agency_id: Option<i64>,
    pub agency_name: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user with the password hash, only for verifying a login.
#[derive(Debug, Clone, FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub disabled: bool,
}

pub struct NewUserRow<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub village_id: Option<i64>,
    pub agency_id: Option<i64>,
    pub password_hash: &'a str,
    pub now: i64,
}

const SELECT_USER: &str = "SELECT u.id, u.username, u.display_name, u.role, u.village_id, v.name AS village_name, \
     u.agency_id, a.name AS agency_name, u.disabled, u.created_at, u.updated_at \
     FROM users u LEFT JOIN villages v ON v.id = u.village_id LEFT JOIN agencies a ON a.id = u.agency_id";

pub async fn insert(tx: &mut Tx, user: &NewUserRow<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO users (username, display_name, role, village_id, agency_id, password_hash, disabled, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $7) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(user.username)
        .bind(user.display_name)
        .bind(user.role)
        .bind(user.village_id)
        .bind(user.agency_id)
        .bind(user.password_hash)
        .bind(user.now)
        .fetch_one(conn)
        .await)
}

pub async fn find_by_id(db: &Db, id: i64) -> StorageResult<Option<UserRow>> {
    let sql = format!("{SELECT_USER} WHERE u.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_by_id_tx(tx: &mut Tx, id: i64) -> StorageResult<Option<UserRow>> {
    let sql = format!("{SELECT_USER} WHERE u.id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(conn).await)
}

pub async fn credentials(db: &Db, username: &str) -> StorageResult<Option<Credentials>> {
    let sql = "SELECT id, password_hash, disabled FROM users WHERE username = $1";
    on_db!(db, pool => sqlx::query_as::<_, Credentials>(sql).bind(username).fetch_optional(pool).await)
}

pub async fn list(db: &Db) -> StorageResult<Vec<UserRow>> {
    let sql = format!("{SELECT_USER} ORDER BY u.role, u.username");
    on_db!(db, pool => sqlx::query_as::<_, UserRow>(&sql).fetch_all(pool).await)
}

pub async fn count(db: &Db) -> StorageResult<i64> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(pool).await)
}

pub async fn set_disabled(tx: &mut Tx, id: i64, disabled: bool, now: i64) -> StorageResult<bool> {
    let sql = "UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3";
    let done = on_tx!(tx, conn => sqlx::query(sql).bind(disabled).bind(now).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn set_password_hash(tx: &mut Tx, id: i64, hash: &str, now: i64) -> StorageResult<bool> {
    let sql = "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3";
    let done = on_tx!(tx, conn => sqlx::query(sql).bind(hash).bind(now).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// (id, display name) of the enabled accounts with this role, by name.
pub async fn names_with_role(db: &Db, role: &str) -> StorageResult<Vec<(i64, String)>> {
    let sql = "SELECT id, display_name FROM users WHERE role = $1 AND NOT disabled ORDER BY display_name, id";
    on_db!(db, pool => sqlx::query_as::<_, (i64, String)>(sql).bind(role).fetch_all(pool).await)
}
