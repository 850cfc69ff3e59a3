//! One module per page.

pub mod agencies;
pub mod case;
pub mod cases;
pub mod facts;
pub mod home;
pub mod leads;
pub mod login;
pub mod money;
pub mod not_found;
pub mod privacy;
pub mod referrals;
pub mod screening;
pub mod stats;
pub mod users;
pub mod visits;
