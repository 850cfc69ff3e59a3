//! Domain rules shared by the server and the WASM front end.
//!
//! Everything here is pure Rust with no I/O, so the same rule decides on the
//! server (where it is enforced) and in the browser (where it shows or hides
//! buttons and validates fields before a request is sent).

pub mod account;
pub mod api;
pub mod case;
pub mod clock;
pub mod date;
pub mod facts;
pub mod idcard;
pub mod money;
pub mod payment;
pub mod privacy;
pub mod referral;
pub mod role;
pub mod screening;
pub mod stats;
pub mod visit;

pub use account::{validate_display_name, validate_password, validate_username, FieldError};
pub use money::Fen;
pub use role::{Permission, Role, ScopeKind};
