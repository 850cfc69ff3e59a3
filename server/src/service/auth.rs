//! Logging in and out, sessions, and the brake on password guessing.

use std::time::Duration;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use domain::api::{Me, NamedRef};
use domain::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::session_cache::SessionCache;
use super::{Actor, ServiceError, ServiceResult};
use crate::storage::sessions::Ended;
use crate::storage::{self, now_ms, Db};

/// How long a session lasts: a working week, so officers in the field are not
/// logged out between visits.
pub const SESSION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// Failures within this window count together.
const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// After this many failures in the window the username is locked...
const LOCK_AFTER_FAILURES: i64 = 5;
/// ...for this long.
const LOCK_MS: i64 = 15 * 60 * 1000;
/// Each failure before the lock costs this much more waiting.
const SLOWDOWN_STEP: Duration = Duration::from_millis(200);

/// Hashes a password with argon2id off the async threads (it takes tens of ms by design).
pub async fn hash_password(password: String) -> ServiceResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .map_err(|e| anyhow::anyhow!(e))?
    .map_err(ServiceError::from)
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a password nobody has, verified when the username does not exist
/// so that the response time does not reveal which usernames exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8jS9o3yYbJ6a2p9o5W2zK0w8Q0l8m5m2gKQk4rS8b7E";

/// The opaque session token given to the browser, and the hash we keep.
pub struct NewSession {
    pub token: String,
    pub me: Me,
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[tracing::instrument(skip_all)]
pub async fn login(db: &Db, username: &str, password: &str) -> ServiceResult<NewSession> {
    let key = username.trim().to_lowercase();
    let now = now_ms();
    let locked_until = storage::throttle::locked_until(db, &key).await?;
    if locked_until > now {
        return Err(ServiceError::LoginLocked {
            retry_after_secs: (locked_until - now + 999) / 1000,
        });
    }
    let credentials = storage::users::credentials(db, &key).await?;
    let hash = credentials
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let password_ok = verify_password(password.to_string(), hash).await;
    let user = match credentials {
        Some(c) if password_ok && !c.disabled => c,
        _ => {
            let failures = storage::throttle::record_failure(
                db,
                &key,
                now,
                now - FAILURE_WINDOW_MS,
                LOCK_AFTER_FAILURES,
                now + LOCK_MS,
            )
            .await?;
            tracing::info!(failures, "failed login");
            if failures >= LOCK_AFTER_FAILURES {
                return Err(ServiceError::LoginLocked {
                    retry_after_secs: LOCK_MS / 1000,
                });
            }
            // Slow down repeated guessing; a real user who mistyped waits a moment.
            let steps = u32::try_from(failures).unwrap_or(1);
            tokio::time::sleep(SLOWDOWN_STEP * steps).await;
            return Err(ServiceError::InvalidCredentials);
        }
    };
    storage::throttle::clear(db, &key).await?;
    // Expired sessions are already refused; sweeping them at login keeps the table small
    // without a background job (which several instances would all run).
    storage::sessions::delete_expired(db, now).await?;
    let token = new_token();
    storage::sessions::insert(db, &hash_token(&token), user.id, now, now + SESSION_TTL_MS).await?;
    let me = me(db, user.id).await?;
    tracing::info!(user_id = user.id, "logged in");
    Ok(NewSession { token, me })
}

pub async fn logout(db: &Db, sessions: &SessionCache, token: &str) -> ServiceResult<()> {
    let token_hash = hash_token(token);
    storage::sessions::delete(db, &token_hash).await?;
    sessions.forget(&Ended::Session(token_hash));
    Ok(())
}

/// The user of a session token, if the session is live and the user enabled:
/// from the cache when it has the session, else from the database.
pub async fn authenticate(
    db: &Db,
    sessions: &SessionCache,
    token: &str,
    request_id: Option<String>,
) -> ServiceResult<Actor> {
    let token_hash = hash_token(token);
    let now = now_ms();
    let row = match sessions.get(&token_hash, now) {
        Some(row) => row,
        None => {
            let seen = sessions.generation();
            let row = storage::sessions::find_user(db, &token_hash, now)
                .await?
                .ok_or(ServiceError::Unauthenticated)?;
            sessions.put(&token_hash, row.clone(), seen);
            row
        }
    };
    let role = Role::parse(&row.role).ok_or_else(|| anyhow::anyhow!("unknown role in database"))?;
    Ok(Actor {
        user_id: row.user_id,
        username: row.username,
        display_name: row.display_name,
        role,
        village_id: row.village_id,
        agency_id: row.agency_id,
        request_id,
    })
}

pub async fn me(db: &Db, user_id: i64) -> ServiceResult<Me> {
    let row = storage::users::find_by_id(db, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let role = Role::parse(&row.role).ok_or_else(|| anyhow::anyhow!("unknown role in database"))?;
    Ok(Me {
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
    })
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A random password for generated accounts: 16 characters, unambiguous letters and digits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| {
            let i = (rng.next_u32() as usize) % ALPHABET.len();
            char::from(ALPHABET[i])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_parses_so_unknown_users_cost_a_real_verification() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn token_hashes_are_stable_and_hide_the_token() {
        let token = new_token();
        assert_eq!(hash_token(&token), hash_token(&token));
        assert_ne!(hash_token(&token), token);
        assert_eq!(hash_token(&token).len(), 64);
    }

    #[test]
    fn generated_passwords_pass_the_password_rule() {
        assert!(domain::validate_password(&generate_password()).is_ok());
    }
}
