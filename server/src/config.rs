//! Settings, from flags and environment variables (see the README's table).

use std::net::SocketAddr;
use std::path::PathBuf;

/// The default database: a SQLite file under ./data, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/jiuzhu.db";

/// Settings of the `serve` command.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub database_url: String,
    /// Where the built front end lives (`pkg/`, icons, manifest).
    pub site_root: PathBuf,
    pub http: HttpConfig,
}

/// What request handlers need to know of the settings.
#[derive(Debug, Clone, Default)]
pub struct HttpConfig {
    /// Mark cookies `Secure` even when no proxy says the request came over TLS.
    pub secure_cookies: bool,
}

/// Makes sure the directory of a SQLite file exists, so a fresh checkout needs no setup.
pub fn prepare_sqlite_dir(database_url: &str) -> std::io::Result<()> {
    let Some(path) = database_url.strip_prefix("sqlite:") else {
        return Ok(());
    };
    let path = path.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match std::path::Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
}
