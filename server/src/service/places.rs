//! Reference data: villages, and partner agencies with the services they offer.

use std::collections::HashMap;

use domain::api::{Agency, AgencyServices, NamedRef, NewAgency, Village};
use domain::referral::{Service, AGENCY_KINDS};
use domain::Permission;
use serde_json::json;

use super::audit::{self, Change};
use super::cases::{invalid, trimmed};
use super::{Actor, ServiceError, ServiceResult};
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
    let mut services: HashMap<i64, Vec<Service>> = HashMap::new();
    for (agency_id, service) in storage::referrals::all_agency_services(db).await? {
        // A service this build does not know is left out rather than failing the list.
        if let Some(s) = Service::parse(&service) {
            services.entry(agency_id).or_default().push(s);
        }
    }
    Ok(storage::places::list_agencies(db)
        .await?
        .into_iter()
        .map(|row| {
            let mut offered = services.remove(&row.id).unwrap_or_default();
            offered.sort();
            Agency {
                id: row.id,
                name: row.name,
                kind: row.kind,
                services: offered,
            }
        })
        .collect())
}

fn service_texts(services: &[Service]) -> Vec<&'static str> {
    let mut sorted = services.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted.into_iter().map(Service::as_str).collect()
}

/// An admin adds a partner agency with the services it offers.
#[tracing::instrument(skip_all)]
pub async fn create_agency(db: &Db, actor: &Actor, input: NewAgency) -> ServiceResult<Agency> {
    actor.require(Permission::ManageReferenceData)?;
    let name = trimmed(&input.name, "name", 100)?;
    let kind = input.kind.trim();
    if !AGENCY_KINDS.contains(&kind) {
        return Err(invalid("kind", "unknown_kind", "unknown kind of agency"));
    }
    let services = service_texts(&input.services);
    let mut tx = db.begin().await?;
    let id = storage::places::insert_agency(&mut tx, &name, kind)
        .await
        .map_err(|e| {
            if storage::is_unique_violation(&e) {
                invalid("name", "agency_exists", "an agency of this name exists")
            } else {
                e.into()
            }
        })?;
    storage::referrals::set_agency_services(&mut tx, id, &services).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "agency",
            entity_id: id.to_string(),
            case_id: None,
            action: "agency.created",
            before: None,
            after: Some(json!({ "name": name, "kind": kind, "services": services })),
        },
    )
    .await?;
    tx.commit().await?;
    find_agency(db, actor, id).await
}

/// An admin replaces the set of services an agency offers. Referrals already
/// sent stay as they are.
#[tracing::instrument(skip_all, fields(agency_id = id))]
pub async fn set_agency_services(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: AgencyServices,
) -> ServiceResult<Agency> {
    actor.require(Permission::ManageReferenceData)?;
    let services = service_texts(&input.services);
    let mut tx = db.begin().await?;
    if !storage::places::agency_exists(&mut tx, id).await? {
        return Err(ServiceError::NotFound);
    }
    let before = storage::referrals::agency_services_tx(&mut tx, id).await?;
    storage::referrals::set_agency_services(&mut tx, id, &services).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "agency",
            entity_id: id.to_string(),
            case_id: None,
            action: "agency.services_set",
            before: Some(json!({ "services": before })),
            after: Some(json!({ "services": services })),
        },
    )
    .await?;
    tx.commit().await?;
    find_agency(db, actor, id).await
}

async fn find_agency(db: &Db, actor: &Actor, id: i64) -> ServiceResult<Agency> {
    list_agencies(db, actor)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(ServiceError::NotFound)
}
