//! Account administration: add, list, disable, enable, reset passwords.

use domain::api::{NamedRef, NewUser, UserView};
use domain::{
    validate_display_name, validate_password, validate_username, FieldError, Permission, Role,
};
use serde::Serialize;

use super::audit::{self, snapshot, Change};
use super::auth::hash_password;
use super::session_cache::SessionCache;
use super::{Actor, ServiceError, ServiceResult};
use crate::storage::sessions::Ended;
use crate::storage::{
    self, is_unique_violation, now_ms, users::NewUserRow, users::UserRow, Db, Tx,
};

fn view(row: UserRow) -> ServiceResult<UserView> {
    let role = Role::parse(&row.role).ok_or_else(|| anyhow::anyhow!("unknown role in database"))?;
    Ok(UserView {
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        role,
        village: row
            .village_id
            .zip(row.village_name)
            .map(|(id, name)| NamedRef { id, name }),
        agency: row
            .agency_id
            .zip(row.agency_name)
            .map(|(id, name)| NamedRef { id, name }),
        disabled: row.disabled,
        created_at: row.created_at,
    })
}

/// What the audit log keeps of an account: everything but the password hash.
#[derive(Serialize)]
struct AccountSnapshot<'a> {
    username: &'a str,
    display_name: &'a str,
    role: &'a str,
    village_id: Option<i64>,
    agency_id: Option<i64>,
    disabled: bool,
}

impl<'a> From<&'a UserRow> for AccountSnapshot<'a> {
    fn from(row: &'a UserRow) -> Self {
        AccountSnapshot {
            username: &row.username,
            display_name: &row.display_name,
            role: &row.role,
            village_id: row.village_id,
            agency_id: row.agency_id,
            disabled: row.disabled,
        }
    }
}

pub async fn list(db: &Db, actor: &Actor) -> ServiceResult<Vec<UserView>> {
    actor.require(Permission::ManageUsers)?;
    storage::users::list(db)
        .await?
        .into_iter()
        .map(view)
        .collect()
}

/// Adds an account. `actor` is `None` when an operator runs `jiuzhu user add`.
#[tracing::instrument(skip_all, fields(role = %input.role))]
pub async fn create(db: &Db, actor: Option<&Actor>, input: NewUser) -> ServiceResult<UserView> {
    if let Some(actor) = actor {
        actor.require(Permission::ManageUsers)?;
    }
    let username = input.username.trim().to_lowercase();
    validate_username(&username)?;
    validate_display_name(&input.display_name)?;
    validate_password(&input.password)?;
    check_scope_binding(input.role, input.village_id, input.agency_id)?;
    let password_hash = hash_password(input.password.clone()).await?;

    let mut tx = db.begin().await?;
    if let Some(village_id) = input.village_id {
        if !storage::places::village_exists(&mut tx, village_id).await? {
            return Err(invalid("village_id", "unknown_village", "no such village"));
        }
    }
    if let Some(agency_id) = input.agency_id {
        if !storage::places::agency_exists(&mut tx, agency_id).await? {
            return Err(invalid("agency_id", "unknown_agency", "no such agency"));
        }
    }
    let id = storage::users::insert(
        &mut tx,
        &NewUserRow {
            username: &username,
            display_name: input.display_name.trim(),
            role: input.role.as_str(),
            village_id: input.village_id,
            agency_id: input.agency_id,
            password_hash: &password_hash,
            now: now_ms(),
        },
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ServiceError::Conflict {
                code: "username_taken",
                message: "this username is already taken".into(),
            }
        } else {
            e.into()
        }
    })?;
    let row = load(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            entity_type: "user",
            entity_id: id.to_string(),
            case_id: None,
            action: "user.created",
            before: None,
            after: snapshot(&AccountSnapshot::from(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = id, "user created");
    view(row)
}

/// Disables or re-enables an account; disabling ends its sessions at once.
#[tracing::instrument(skip(db, sessions, actor))]
pub async fn set_disabled(
    db: &Db,
    sessions: &SessionCache,
    actor: &Actor,
    user_id: i64,
    disabled: bool,
) -> ServiceResult<UserView> {
    actor.require(Permission::ManageUsers)?;
    if disabled && user_id == actor.user_id {
        return Err(ServiceError::Conflict {
            code: "cannot_disable_self",
            message: "you cannot disable your own account".into(),
        });
    }
    let mut tx = db.begin().await?;
    let before = load(&mut tx, user_id).await?;
    storage::users::set_disabled(&mut tx, user_id, disabled, now_ms()).await?;
    if disabled {
        storage::sessions::delete_for_user(&mut tx, user_id).await?;
    }
    let after = load(&mut tx, user_id).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "user",
            entity_id: user_id.to_string(),
            case_id: None,
            action: if disabled {
                "user.disabled"
            } else {
                "user.enabled"
            },
            before: snapshot(&AccountSnapshot::from(&before)),
            after: snapshot(&AccountSnapshot::from(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    if disabled {
        sessions.forget(&Ended::User(user_id));
    }
    view(after)
}

/// Sets a new password chosen by the admin and ends the user's sessions.
#[tracing::instrument(skip(db, sessions, actor, password))]
pub async fn reset_password(
    db: &Db,
    sessions: &SessionCache,
    actor: &Actor,
    user_id: i64,
    password: String,
) -> ServiceResult<()> {
    actor.require(Permission::ManageUsers)?;
    validate_password(&password)?;
    let hash = hash_password(password).await?;
    let mut tx = db.begin().await?;
    load(&mut tx, user_id).await?;
    storage::users::set_password_hash(&mut tx, user_id, &hash, now_ms()).await?;
    storage::sessions::delete_for_user(&mut tx, user_id).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "user",
            entity_id: user_id.to_string(),
            case_id: None,
            action: "user.password_reset",
            // The hash is a secret; the entry records only that it changed.
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    sessions.forget(&Ended::User(user_id));
    Ok(())
}

async fn load(tx: &mut Tx, user_id: i64) -> ServiceResult<UserRow> {
    storage::users::find_by_id_tx(tx, user_id)
        .await?
        .ok_or(ServiceError::NotFound)
}

fn invalid(field: &'static str, code: &'static str, message: &'static str) -> ServiceError {
    ServiceError::Invalid(FieldError {
        field,
        code,
        message,
    })
}

/// A village committee needs a village and a partner an agency; nobody else has either.
fn check_scope_binding(
    role: Role,
    village_id: Option<i64>,
    agency_id: Option<i64>,
) -> ServiceResult<()> {
    use domain::ScopeKind;
    match (role.scope_kind(), village_id, agency_id) {
        (ScopeKind::Village, Some(_), None)
        | (ScopeKind::Agency, None, Some(_))
        | (ScopeKind::County, None, None) => Ok(()),
        (ScopeKind::Village, None, _) => Err(invalid(
            "village_id",
            "village_required",
            "a village committee account needs a village",
        )),
        (ScopeKind::Agency, _, None) => Err(invalid(
            "agency_id",
            "agency_required",
            "a partner agency account needs an agency",
        )),
        (_, Some(_), _) => Err(invalid(
            "village_id",
            "village_not_allowed",
            "only village committee accounts have a village",
        )),
        (_, _, Some(_)) => Err(invalid(
            "agency_id",
            "agency_not_allowed",
            "only partner agency accounts have an agency",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_binding_matches_the_role() {
        assert!(check_scope_binding(Role::VillageCommittee, Some(1), None).is_ok());
        assert!(check_scope_binding(Role::Partner, None, Some(1)).is_ok());
        assert!(check_scope_binding(Role::Officer, None, None).is_ok());
        assert!(check_scope_binding(Role::VillageCommittee, None, None).is_err());
        assert!(check_scope_binding(Role::Partner, Some(1), None).is_err());
        assert!(check_scope_binding(Role::Officer, Some(1), None).is_err());
        assert!(check_scope_binding(Role::Admin, None, Some(1)).is_err());
    }
}
