//! Subcommands of `jiuzhu`: serve, migrate, user add, demo, backup, restore, archive, openapi.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use domain::api::NewUser;
use domain::clock::StageLimits;
use domain::Role;

use crate::config::{
    prepare_sqlite_dir, AppConfig, BackupSchedule, Settings, DEFAULT_DATABASE_URL,
};
use crate::service::{backup, demo, privacy, users, volume};
use crate::startup::Application;
use crate::storage::{self, Db};

#[derive(Parser)]
#[command(
    name = "jiuzhu",
    version,
    about = "Jiuzhu: state judicial aid case system (国家司法救助)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DatabaseArgs {
    /// sqlite:PATH or postgres://USER@HOST:PORT/DB
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (applies pending migrations first).
    Serve {
        #[arg(long, env = "JIUZHU_ADDR", default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        #[command(flatten)]
        db: DatabaseArgs,
        /// Directory of the built front end.
        #[arg(long, env = "JIUZHU_SITE_ROOT", default_value = "target/site")]
        site_root: PathBuf,
        /// Always mark cookies Secure (set when TLS ends before a proxy that
        /// does not send X-Forwarded-Proto).
        #[arg(long, env = "JIUZHU_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Case numbers read PREFIX〔YEAR〕N号.
        #[arg(long, env = "JIUZHU_CASE_PREFIX", default_value = crate::config::DEFAULT_CASE_NUMBER_PREFIX)]
        case_prefix: String,
        /// Green-channel target, acceptance to first payment, in hours.
        #[arg(long, env = "JIUZHU_GREEN_CHANNEL_HOURS", default_value_t = crate::config::DEFAULT_GREEN_CHANNEL_HOURS)]
        green_channel_hours: i64,
        /// Hours a case may stay in each state, e.g. "accepted=72,investigating=720"
        /// (states not named keep their default; 0 removes a limit).
        #[arg(long, env = "JIUZHU_STAGE_LIMITS", default_value = "", value_parser = parse_ordinary_limits)]
        stage_limits: StageLimits,
        /// The same for green-channel cases, applied on top of --stage-limits' table for them.
        #[arg(long, env = "JIUZHU_GREEN_STAGE_LIMITS", default_value = "")]
        green_stage_limits: String,
        /// Bearer token that opens /metrics to scrapers on other machines
        /// (without it, only this machine can read /metrics).
        #[arg(long, env = "JIUZHU_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Take backups into this directory while serving (off when not set).
        #[arg(long, env = "JIUZHU_BACKUP_DIR")]
        backup_dir: Option<PathBuf>,
        /// Minutes between scheduled backups.
        #[arg(long, env = "JIUZHU_BACKUP_INTERVAL_MINUTES", default_value_t = 1440, value_parser = clap::value_parser!(u64).range(1..))]
        backup_interval_minutes: u64,
        /// How many scheduled backups to keep (older ones are deleted).
        #[arg(long, env = "JIUZHU_BACKUP_KEEP", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..))]
        backup_keep: u64,
        /// Days after payment began at which follow-ups fall due, e.g. "30,90".
        #[arg(long, env = "JIUZHU_FOLLOW_UP_DAYS", default_value = "30,90")]
        follow_up_days: String,
        /// Hours a break-the-glass grant opens a protected case.
        #[arg(long, env = "JIUZHU_BREAK_GLASS_HOURS", default_value_t = domain::privacy::DEFAULT_BREAK_GLASS_HOURS as u64, value_parser = clap::value_parser!(u64).range(1..=72))]
        break_glass_hours: u64,
        /// Minutes a full-disclosure grant (print in full) lasts.
        #[arg(long, env = "JIUZHU_DISCLOSURE_MINUTES", default_value_t = domain::privacy::DEFAULT_DISCLOSURE_MINUTES as u64, value_parser = clap::value_parser!(u64).range(1..=1440))]
        disclosure_minutes: u64,
        /// Reverse proxies (IP addresses, comma-separated) whose X-Forwarded-For
        /// gives the client address in the read log, e.g. "127.0.0.1" behind nginx.
        #[arg(long, env = "JIUZHU_TRUSTED_PROXIES", default_value = "")]
        trusted_proxies: String,
        /// The case list counts matches up to this many and past it shows
        /// "more than N" (an exact count of a million cases is slow).
        #[arg(long, env = "JIUZHU_CASE_LIST_COUNT_CAP", default_value_t = crate::config::DEFAULT_CASE_LIST_COUNT_CAP, value_parser = clap::value_parser!(i64).range(100..=10_000_000))]
        case_list_count_cap: i64,
    },
    /// Remove the personal details of cases closed or withdrawn more than N
    /// years ago (README "Privacy"); statistics are unchanged. Safe to rerun.
    Archive {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long, env = "JIUZHU_RETENTION_YEARS", default_value_t = crate::config::DEFAULT_RETENTION_YEARS, value_parser = clap::value_parser!(u32).range(1..))]
        older_than_years: u32,
        /// Only say how many cases would be archived.
        #[arg(long)]
        dry_run: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load demo data into an empty database and print the demo passwords once.
    Demo {
        #[command(flatten)]
        db: DatabaseArgs,
        /// Do nothing (successfully) when the database already has users.
        #[arg(long)]
        if_empty: bool,
        /// Give every demo account this password instead of random ones (for tests).
        #[arg(long, env = "JIUZHU_DEMO_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Also generate this many cases spread over this year and the two
        /// before (volume data for benchmarks; added even to a database that
        /// already has data).
        #[arg(long)]
        cases: Option<usize>,
        /// Seed of the generated cases: the same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Copy the whole database (photos and documents included) to a file,
    /// consistently, while the server keeps serving.
    Backup {
        #[command(flatten)]
        db: DatabaseArgs,
        /// The backup file to write (replaced only once complete).
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into a new, empty database (SQLite or PostgreSQL,
    /// whichever the backup came from: this also moves an installation
    /// from SQLite to PostgreSQL).
    Restore {
        #[command(flatten)]
        db: DatabaseArgs,
        /// The backup file to read.
        #[arg(long)]
        from: PathBuf,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account; the password is read from standard input.
    Add {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        username: String,
        /// officer, supervisor, village_committee, partner or admin
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Village name or id (village committee accounts).
        #[arg(long)]
        village: Option<String>,
        /// Agency name or id (partner agency accounts).
        #[arg(long)]
        agency: Option<String>,
        /// Name shown in the interface (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
    },
}

fn parse_ordinary_limits(text: &str) -> Result<StageLimits, String> {
    StageLimits::default()
        .with_overrides(text, false)
        .map_err(|e| e.to_string())
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        "expected officer, supervisor, village_committee, partner or admin".to_string()
    })
}

fn print_summary(what: &str, path: &std::path::Path, summary: &backup::Summary) {
    let rows: u64 = summary.rows.values().sum();
    println!(
        "{what} {} rows in {} tables (schema version {}): {}, {} bytes, sha256 {}",
        rows,
        summary.rows.len(),
        summary.schema_version,
        path.display(),
        summary.file_bytes,
        summary.file_sha256
    );
}

async fn open(db: &DatabaseArgs) -> anyhow::Result<Db> {
    prepare_sqlite_dir(&db.database_url)?;
    let pool = Db::connect(&db.database_url).await?;
    pool.migrate().await?;
    Ok(pool)
}

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    crate::telemetry::init(matches!(cli.command, Command::Serve { .. }));
    match cli.command {
        Command::Serve {
            addr,
            db,
            site_root,
            secure_cookies,
            case_prefix,
            green_channel_hours,
            stage_limits,
            green_stage_limits,
            metrics_token,
            backup_dir,
            backup_interval_minutes,
            backup_keep,
            follow_up_days,
            break_glass_hours,
            disclosure_minutes,
            trusted_proxies,
            case_list_count_cap,
        } => {
            let stage_limits = stage_limits.with_overrides(&green_stage_limits, true)?;
            let follow_up_days = domain::visit::parse_follow_up_days(&follow_up_days)
                .map_err(|e| anyhow::anyhow!("--follow-up-days: {e}"))?;
            let settings = Settings {
                addr,
                database_url: db.database_url,
                site_root,
                http: AppConfig {
                    secure_cookies,
                    case_number_prefix: case_prefix,
                    green_channel_hours,
                    stage_limits,
                    metrics_token: metrics_token.filter(|t| !t.is_empty()),
                    follow_up_days,
                    break_glass: std::time::Duration::from_secs(break_glass_hours * 3600),
                    disclosure: std::time::Duration::from_secs(disclosure_minutes * 60),
                    trusted_proxies: crate::config::parse_trusted_proxies(&trusted_proxies)
                        .map_err(|e| anyhow::anyhow!("--trusted-proxies: {e}"))?,
                    case_list_count_cap,
                },
                backup: backup_dir.map(|dir| BackupSchedule {
                    dir,
                    interval: std::time::Duration::from_secs(backup_interval_minutes * 60),
                    keep: backup_keep as usize,
                }),
            };
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Backup { db, to } => {
            let pool = open(&db).await?;
            let summary = backup::backup(&pool, &to).await?;
            print_summary("backed up", &to, &summary);
            Ok(())
        }
        Command::Restore { db, from } => {
            prepare_sqlite_dir(&db.database_url)?;
            let pool = Db::connect(&db.database_url).await?;
            let summary = backup::restore_into_new(&pool, &from).await?;
            print_summary("restored", &from, &summary);
            Ok(())
        }
        Command::Archive {
            db,
            older_than_years,
            dry_run,
        } => {
            let pool = open(&db).await?;
            let outcome = privacy::archive_closed_cases(&pool, older_than_years, dry_run)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if dry_run {
                println!(
                    "{} cases closed more than {older_than_years} years ago would be archived",
                    outcome.due
                );
            } else {
                println!(
                    "archived {} cases closed more than {older_than_years} years ago",
                    outcome.archived
                );
            }
            Ok(())
        }
        Command::Migrate { db } => {
            open(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    username,
                    role,
                    village,
                    agency,
                    display_name,
                },
        } => {
            let pool = open(&db).await?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let village_id = match village {
                Some(v) => Some(resolve(
                    v.parse().ok(),
                    storage::places::find_village_by_name(&pool, &v).await?,
                    "village",
                    &v,
                )?),
                None => None,
            };
            let agency_id = match agency {
                Some(a) => Some(resolve(
                    a.parse().ok(),
                    storage::places::find_agency_by_name(&pool, &a).await?,
                    "agency",
                    &a,
                )?),
                None => None,
            };
            let user = users::create(
                &pool,
                None,
                NewUser {
                    display_name: display_name.unwrap_or_else(|| username.clone()),
                    username,
                    role,
                    village_id,
                    agency_id,
                    password,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "added user {} (id {}, role {})",
                user.username, user.id, user.role
            );
            Ok(())
        }
        Command::Demo {
            db,
            if_empty,
            password,
            cases,
            seed,
        } => {
            let pool = open(&db).await?;
            let has_users = storage::users::count(&pool).await? > 0;
            if has_users && (if_empty || cases.is_some()) {
                println!("database already has users; demo accounts not loaded");
            } else {
                let accounts = demo::load(&pool, password.as_deref())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("Demo data loaded. Accounts (passwords are shown only now):");
                for account in accounts {
                    println!(
                        "  {:<16} {:<18} {}  {}",
                        account.username, account.role, account.password, account.display_name
                    );
                }
            }
            if let Some(count) = cases {
                let started = std::time::Instant::now();
                let made = volume::generate(&pool, &AppConfig::default(), count, seed)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!(
                    "generated {} cases ({} people, {} timeline events) in {:.1} s",
                    made.cases,
                    made.people,
                    made.events,
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&crate::http::openapi())?);
            Ok(())
        }
    }
}

/// An id given on the command line, or the id found by name.
fn resolve(
    by_id: Option<i64>,
    by_name: Option<i64>,
    what: &str,
    given: &str,
) -> anyhow::Result<i64> {
    by_name
        .or(by_id)
        .ok_or_else(|| anyhow::anyhow!("no {what} named {given}"))
}
