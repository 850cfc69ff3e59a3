//! Structured logs with tracing. `JIUZHU_LOG_FORMAT=json` for log collectors,
//! `RUST_LOG` to choose levels. Names, ID numbers and phone numbers are never logged.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("JIUZHU_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (e.g. in tests) is harmless; ignore its error.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
