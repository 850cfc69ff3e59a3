//! Pieces shared by several pages.

pub mod labels;
pub mod layout;
