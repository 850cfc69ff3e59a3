//! The audit log: append-only, written inside the transaction of the change it records.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

pub struct NewAuditEntry<'a> {
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub case_id: Option<i64>,
    pub action: &'a str,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor_username: Option<String>,
    pub entity_type: String,
    pub entity_id: String,
    pub case_id: Option<i64>,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
}

pub async fn insert(tx: &mut Tx, entry: NewAuditEntry<'_>) -> StorageResult<()> {
    let sql = "INSERT INTO audit_log (at, actor_user_id, entity_type, entity_id, case_id, action, before_json, after_json, request_id) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(entry.at)
        .bind(entry.actor_user_id)
        .bind(entry.entity_type)
        .bind(&entry.entity_id)
        .bind(entry.case_id)
        .bind(entry.action)
        .bind(&entry.before_json)
        .bind(&entry.after_json)
        .bind(&entry.request_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Entries about one entity, or about one case (`entity_type` = "case" matches
/// every entry whose `case_id` is that case), newest first.
pub async fn list_for(
    db: &Db,
    entity_type: &str,
    entity_id: &str,
    limit: i64,
) -> StorageResult<Vec<AuditRow>> {
    let select = "SELECT l.id, l.at, l.actor_user_id, u.username AS actor_username, l.entity_type, l.entity_id, \
                  l.case_id, l.action, l.before_json, l.after_json, l.request_id \
                  FROM audit_log l LEFT JOIN users u ON u.id = l.actor_user_id";
    if entity_type == "case" {
        let case_id: i64 = entity_id.parse().unwrap_or(-1);
        let sql = format!("{select} WHERE l.case_id = $1 OR (l.entity_type = 'case' AND l.entity_id = $2) ORDER BY l.id DESC LIMIT $3");
        on_db!(db, pool => sqlx::query_as::<_, AuditRow>(&sql).bind(case_id).bind(entity_id).bind(limit).fetch_all(pool).await)
    } else {
        let sql = format!(
            "{select} WHERE l.entity_type = $1 AND l.entity_id = $2 ORDER BY l.id DESC LIMIT $3"
        );
        on_db!(db, pool => sqlx::query_as::<_, AuditRow>(&sql).bind(entity_type).bind(entity_id).bind(limit).fetch_all(pool).await)
    }
}
