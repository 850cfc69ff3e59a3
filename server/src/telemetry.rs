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
    log_panics();
}

/// A panic (in a request, a body stream or a background task) becomes an ERROR
/// line in the log, where alerts and the fuzzing script look, not only text on
/// stderr. The previous hook still runs (it prints a backtrace when asked).
fn log_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, %message, "panic");
        previous(info);
    }));
}
