//! Townships, villages and partner agencies: the county's reference data.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct VillageRow {
    pub id: i64,
    pub name: String,
    pub township_id: i64,
    pub township_name: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct AgencyRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

pub async fn list_villages(db: &Db) -> StorageResult<Vec<VillageRow>> {
    let sql = "SELECT v.id, v.name, t.id AS township_id, t.name AS township_name \
               FROM villages v JOIN townships t ON t.id = v.township_id ORDER BY t.name, v.name";
    on_db!(db, pool => sqlx::query_as::<_, VillageRow>(sql).fetch_all(pool).await)
}

pub async fn list_agencies(db: &Db) -> StorageResult<Vec<AgencyRow>> {
    let sql = "SELECT id, name, kind FROM agencies ORDER BY name";
    on_db!(db, pool => sqlx::query_as::<_, AgencyRow>(sql).fetch_all(pool).await)
}

pub async fn village_exists(tx: &mut Tx, id: i64) -> StorageResult<bool> {
    let sql = "SELECT COUNT(*) FROM villages WHERE id = $1";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_one(conn).await)
        .map(|n| n > 0)
}

pub async fn agency_exists(tx: &mut Tx, id: i64) -> StorageResult<bool> {
    let sql = "SELECT COUNT(*) FROM agencies WHERE id = $1";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_one(conn).await)
        .map(|n| n > 0)
}

pub async fn insert_township(tx: &mut Tx, name: &str) -> StorageResult<i64> {
    let sql = "INSERT INTO townships (name) VALUES ($1) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(name).fetch_one(conn).await)
}

pub async fn insert_village(tx: &mut Tx, township_id: i64, name: &str) -> StorageResult<i64> {
    let sql = "INSERT INTO villages (township_id, name) VALUES ($1, $2) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(township_id).bind(name).fetch_one(conn).await)
}

pub async fn insert_agency(tx: &mut Tx, name: &str, kind: &str) -> StorageResult<i64> {
    let sql = "INSERT INTO agencies (name, kind) VALUES ($1, $2) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(name).bind(kind).fetch_one(conn).await)
}

pub async fn find_village_by_name(db: &Db, name: &str) -> StorageResult<Option<i64>> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM villages WHERE name = $1 ORDER BY id LIMIT 1").bind(name).fetch_optional(pool).await)
}

pub async fn find_agency_by_name(db: &Db, name: &str) -> StorageResult<Option<i64>> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM agencies WHERE name = $1").bind(name).fetch_optional(pool).await)
}
