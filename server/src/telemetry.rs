//! Structured logs with tracing. `JIUZHU_LOG_FORMAT=json` for log collectors,
//! `RUST_LOG` to choose levels. Names, ID numbers and phone numbers are never logged.

use tracing_subscriber::{fmt, EnvFilter};

/// `verbose` is for the server; one-shot commands only report warnings unless `RUST_LOG` says otherwise.
pub fn init(verbose: bool) {
    let default = if verbose { "info,sqlx=warn" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let json = std::env::var("JIUZHU_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (e.g. in tests) is harmless; ignore its error.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
