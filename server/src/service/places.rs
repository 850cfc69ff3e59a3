//! Reference data: villages and agencies.

use domain::api::{Agency, NamedRef, Village};
use domain::Permission;

use super::{Actor, ServiceResult};
use crate::storage::{self, Db};

pub async fn list_villages(db: &Db, actor: &Actor) -> ServiceResult<Vec<Village>> {
    actor.require(Permission::ReadReferenceData)?;
    Ok(storage::places::list_villages(db)
        .await?
        .into_iter()
        .map(|row| Village {
            id: row.id,
            name: row.name,
            township: NamedRef {
                id: row.township_id,
                name: row.township_name,
            },
        })
        .collect())
}

pub async fn list_agencies(db: &Db, actor: &Actor) -> ServiceResult<Vec<Agency>> {
    actor.require(Permission::ReadReferenceData)?;
    Ok(storage::places::list_agencies(db)
        .await?
        .into_iter()
        .map(|row| Agency {
            id: row.id,
            name: row.name,
            kind: row.kind,
        })
        .collect())
}
