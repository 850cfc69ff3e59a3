//! Pieces shared by several pages.

pub mod fields;
pub mod labels;
pub mod layout;
