//! Writing and reading the audit log.

use domain::api::{AuditEntry, NamedRef};
use domain::Permission;
use serde::Serialize;

use super::{Actor, ServiceError, ServiceResult};
use crate::storage::{self, audit::NewAuditEntry, now_ms, Db, Tx};

/// What changed, for one audit entry. `before`/`after` are snapshots of the
/// entity (never secrets such as password hashes).
pub struct Change<'a> {
    pub entity_type: &'a str,
    pub entity_id: String,
    pub case_id: Option<i64>,
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A snapshot for [`Change`]. Serialising our own plain structs cannot fail.
pub fn snapshot<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// Appends an entry inside `tx`, so it commits or rolls back with the change.
/// `actor` is `None` for changes made from the command line (`jiuzhu user add`, demo data).
pub async fn record(tx: &mut Tx, actor: Option<&Actor>, change: Change<'_>) -> ServiceResult<()> {
    storage::audit::insert(
        tx,
        NewAuditEntry {
            at: now_ms(),
            actor_user_id: actor.map(|a| a.user_id),
            entity_type: change.entity_type,
            entity_id: change.entity_id,
            case_id: change.case_id,
            action: change.action,
            before_json: change.before.map(|v| v.to_string()),
            after_json: change.after.map(|v| v.to_string()),
            request_id: actor.and_then(|a| a.request_id.clone()),
        },
    )
    .await?;
    Ok(())
}

/// Audit entries about one entity (e.g. `user`/`7`, or `case`/`12` for a whole case).
pub async fn list(
    db: &Db,
    actor: &Actor,
    entity_type: &str,
    entity_id: &str,
) -> ServiceResult<Vec<AuditEntry>> {
    actor.require(Permission::ReadAudit)?;
    if !domain::privacy::may_read_audit_of(actor.role, entity_type) {
        return Err(ServiceError::Forbidden);
    }
    let rows = storage::audit::list_for(db, entity_type, entity_id, 500).await?;
    let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    Ok(rows
        .into_iter()
        .map(|row| AuditEntry {
            id: row.id,
            at: row.at,
            actor: match (row.actor_user_id, row.actor_username) {
                (Some(id), Some(name)) => Some(NamedRef { id, name }),
                _ => None,
            },
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            case_id: row.case_id,
            action: row.action,
            before: parse(row.before_json),
            after: parse(row.after_json),
            request_id: row.request_id,
        })
        .collect())
}
