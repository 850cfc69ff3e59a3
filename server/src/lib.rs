//! Jiuzhu's server: REST API, server-side rendering, storage and the CLI.
//!
//! Layers, outermost first: `http` (status codes and JSON shapes) calls
//! `service` (rules, permissions, audit) which calls `storage` (all SQL).

#![recursion_limit = "512"]

pub mod cli;
pub mod config;
pub mod http;
pub mod metrics;
pub mod service;
pub mod startup;
pub mod storage;
pub mod telemetry;
