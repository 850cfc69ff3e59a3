//! Use cases: each takes the acting user and the input, checks the rules,
//! calls storage and writes the audit log in the same transaction.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod cases;
pub mod demo;
pub mod export;
pub mod facts;
pub mod money;
pub mod places;
pub mod privacy;
pub mod referrals;
pub mod rollup;
pub mod screening;
pub mod session_cache;
pub mod stats;
pub mod users;
pub mod visits;
pub mod volume;

use domain::{FieldError, Role};

/// Why a use case did not happen. `http::error` maps each variant to a status.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not logged in")]
    Unauthenticated,
    #[error("username or password is wrong")]
    InvalidCredentials,
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    LoginLocked { retry_after_secs: i64 },
    #[error("this action is not allowed for your role")]
    Forbidden,
    /// Refused for a reason the client can act on, e.g. `protected_case`
    /// (break the glass with a reason) or `disclosure_not_valid`.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("database error")]
    Storage(#[from] sqlx::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// The authenticated user on whose behalf a use case runs.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub village_id: Option<i64>,
    pub agency_id: Option<i64>,
    /// Carried into audit entries so a change can be tied to its request log.
    pub request_id: Option<String>,
}

impl Actor {
    pub fn require(&self, permission: domain::Permission) -> ServiceResult<()> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }
}
