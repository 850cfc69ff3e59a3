//! Pieces shared by several pages.

pub mod deferred;
pub mod fields;
pub mod labels;
pub mod layout;
