//! API tests over real HTTP, on SQLite and (when configured) PostgreSQL.

mod auth;
mod backup;
mod cases;
mod helpers;
mod http_basics;
mod money;
mod monitoring;
mod pages;
mod referrals;
mod screening;
mod stats;
mod users;
mod visits;
mod volume;
