//! Settings, from flags and environment variables (see the README's table).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use domain::clock::StageLimits;

/// The default database: a SQLite file under ./data, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/jiuzhu.db";

/// Settings of the `serve` command.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub database_url: String,
    /// Where the built front end lives (`pkg/`, icons, manifest).
    pub site_root: PathBuf,
    pub http: AppConfig,
    /// Backups taken by the server itself, if configured.
    pub backup: Option<BackupSchedule>,
}

/// `serve --backup-dir`: a backup every `interval`, the newest `keep` kept.
#[derive(Debug, Clone)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub interval: std::time::Duration,
    pub keep: usize,
}

/// What request handlers and use cases need to know of the settings.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Mark cookies `Secure` even when no proxy says the request came over TLS.
    pub secure_cookies: bool,
    /// Case numbers read `{prefix}〔{year}〕{seq}号`.
    pub case_number_prefix: String,
    /// Green-channel target from acceptance to first payment.
    pub green_channel_hours: i64,
    /// How long a case may stay in each state before lists mark it overdue.
    pub stage_limits: StageLimits,
    /// Bearer token that opens `/metrics` to scrapers not on this machine.
    pub metrics_token: Option<String>,
    /// Days after payment began at which follow-up visits fall due.
    pub follow_up_days: Vec<i64>,
    /// How long a break-the-glass grant opens a protected case.
    pub break_glass: Duration,
    /// How long a full-disclosure grant (print or export in full) lasts.
    pub disclosure: Duration,
    /// Proxies whose `X-Forwarded-For` is believed for the client address in
    /// the read log; from anyone else the header is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// The case list counts matches up to here and past it says "more than":
    /// an exact count of a broad filter over a million cases is what made the
    /// list slow, and nobody pages through a thousand cases (fifty pages) to
    /// find one; they filter, and the statistics give exact totals. The
    /// count is taken on every page, so the cap is most of a broad list's
    /// cost: at 10,000 it was a third of each request.
    pub case_list_count_cap: i64,
}

pub const DEFAULT_CASE_NUMBER_PREFIX: &str = "寿检司救受";
pub const DEFAULT_GREEN_CHANNEL_HOURS: i64 = 48;
pub const DEFAULT_CASE_LIST_COUNT_CAP: i64 = 1_000;

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            secure_cookies: false,
            case_number_prefix: DEFAULT_CASE_NUMBER_PREFIX.to_string(),
            green_channel_hours: DEFAULT_GREEN_CHANNEL_HOURS,
            stage_limits: StageLimits::default(),
            metrics_token: None,
            follow_up_days: domain::visit::DEFAULT_FOLLOW_UP_DAYS.to_vec(),
            break_glass: Duration::from_secs(
                domain::privacy::DEFAULT_BREAK_GLASS_HOURS as u64 * 3600,
            ),
            disclosure: Duration::from_secs(
                domain::privacy::DEFAULT_DISCLOSURE_MINUTES as u64 * 60,
            ),
            trusted_proxies: Vec::new(),
            case_list_count_cap: DEFAULT_CASE_LIST_COUNT_CAP,
        }
    }
}

/// Default of `jiuzhu archive --older-than-years`.
pub const DEFAULT_RETENTION_YEARS: u32 = 10;

/// Parses `--trusted-proxies`: IP addresses separated by commas.
pub fn parse_trusted_proxies(text: &str) -> Result<Vec<IpAddr>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<IpAddr>()
                .map_err(|_| format!("not an IP address: {t}"))
        })
        .collect()
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
