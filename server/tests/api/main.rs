//! API tests over real HTTP, on SQLite and (when configured) PostgreSQL.

mod auth;
mod backup;
mod cases;
mod facts;
mod helpers;
mod http_basics;
mod instances;
mod money;
mod monitoring;
mod pages;
mod permissions;
mod privacy;
mod referrals;
mod screening;
mod stats;
mod users;
mod visits;
mod volume;
