//! API tests over real HTTP, on SQLite and (when configured) PostgreSQL.

mod auth;
mod cases;
mod helpers;
mod http_basics;
mod money;
mod pages;
mod referrals;
mod screening;
mod users;
mod volume;
