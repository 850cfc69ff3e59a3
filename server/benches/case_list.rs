//! Case list, search and statistics latency as the number of cases grows.
//!
//! `make bench` (or `cargo bench -p server --bench case_list`) generates
//! cases with the same code as `jiuzhu demo --cases N`, serves the real
//! application on a loopback port and times each query over HTTP, logged in
//! as a supervisor (who sees the whole county) and, for the officer's
//! queries, as a field officer. It prints p50 and p95 per query, per
//! database, per size.
//!
//! Settings: BENCH_CASES (default "10000,100000"; "10000,100000,1000000"
//! for the full ladder), BENCH_RUNS per query (default 60), and
//! TEST_POSTGRES_URL to measure PostgreSQL as well.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use server::config::{AppConfig, Settings};
use server::service::{demo, volume};
use server::startup::Application;
use server::storage::Db;
use sqlx::Connection;

const PASSWORD: &str = "bench-password-123";

/// (label, query string) — the list as supervisors and officers use it.
const QUERIES: &[(&str, &str)] = &[
    ("first page, no filter", ""),
    ("approval inbox (state=proposed)", "state=proposed"),
    ("search a full name", "q={name}"),
    ("search part of a name", "q={given}"),
    ("search a case number", "q={number}"),
    (
        "village + priority group",
        "village_id={village}&priority_group=minor",
    ),
    ("officer + year", "officer_id={officer}&year={year}"),
    ("overdue only", "overdue=true"),
    ("page 50", "page=50"),
    ("a year two years back", "year={first_year}"),
];

/// (label, query string) of the list as a field officer (wang.fang) sees
/// it: plain order, latest change first, no green-channel lift.
const OFFICER_QUERIES: &[(&str, &str)] = &[
    ("officer: own cases", "mine=true"),
    (
        "officer: own cases, this year",
        "mine=true&year={this_year}",
    ),
    (
        "officer: own cases, two years back",
        "mine=true&year={first_year}",
    ),
];

/// (label, query string) of `/api/v1/stats`: the supervisors' dashboard.
const STATS_QUERIES: &[(&str, &str)] = &[
    ("stats: this year, county", "year={this_year}"),
    ("stats: last year, county", "year={last_year}"),
    ("stats: a quarter, county", "year={last_year}&quarter=2"),
    (
        "stats: a month, a village",
        "year={last_year}&month=6&scope=village&scope_id={village}",
    ),
    (
        "stats: a year, a township",
        "year={last_year}&scope=township&scope_id={township}",
    ),
    (
        "stats: a year, an officer",
        "year={last_year}&scope=officer&scope_id={officer}",
    ),
    (
        "stats: 18 months from-to",
        "from={last_year}-01-01&to={this_year}-06-30",
    ),
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::var("BENCH_CASES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(60);
    let mut backends = vec!["sqlite"];
    if std::env::var("TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        backends.push("postgres");
    } else {
        eprintln!("TEST_POSTGRES_URL not set: measuring SQLite only");
    }
    println!("| database | cases | query | p50 ms | p95 ms |");
    println!("|---|---:|---|---:|---:|");
    for backend in backends {
        let bench = Bench::start(backend).await?;
        let mut have = 0;
        for (i, size) in sizes.iter().enumerate() {
            let started = Instant::now();
            volume::generate(&bench.db, &AppConfig::default(), size - have, i as u64 + 1)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!(
                "{backend}: generated {} cases in {:.1} s",
                size - have,
                started.elapsed().as_secs_f64()
            );
            have = *size;
            let values = bench.sample_values().await?;
            let supervisor = &bench.supervisor;
            let lists = QUERIES
                .iter()
                .map(|(l, t)| (*l, supervisor, "/api/v1/cases", *t));
            let officer = OFFICER_QUERIES
                .iter()
                .map(|(l, t)| (*l, &bench.officer, "/api/v1/cases", *t));
            let stats = STATS_QUERIES
                .iter()
                .map(|(l, t)| (*l, supervisor, "/api/v1/stats", *t));
            for (label, client, path, template) in lists.chain(officer).chain(stats) {
                let query = fill(template, &values);
                let times = bench.time(client, path, &query, runs).await?;
                println!(
                    "| {backend} | {size} | {label} | {:.1} | {:.1} |",
                    percentile(&times, 50),
                    percentile(&times, 95)
                );
            }
        }
        bench.stop().await;
    }
    Ok(())
}

struct Bench {
    db: Db,
    addr: std::net::SocketAddr,
    supervisor: reqwest::Client,
    officer: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Bench {
    async fn start(backend: &str) -> anyhow::Result<Bench> {
        let dir = tempfile::tempdir()?;
        let (url, pg) = if backend == "sqlite" {
            (
                format!("sqlite:{}", dir.path().join("bench.db").display()),
                None,
            )
        } else {
            let admin = std::env::var("TEST_POSTGRES_URL")?;
            let name = format!("jiuzhu_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin).await?;
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await?;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), Some((admin.clone(), name)))
        };
        let db = Db::connect(&url).await?;
        db.migrate().await?;
        demo::load(&db, Some(PASSWORD))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let app = Application::build_with_db(
            Settings {
                addr: "127.0.0.1:0".parse()?,
                database_url: url,
                site_root: PathBuf::from(dir.path()),
                http: AppConfig::default(),
                backup: None,
            },
            db.clone(),
        )
        .await?;
        let addr = app.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let supervisor = logged_in(addr, "zhang.jian").await?;
        let officer = logged_in(addr, "wang.fang").await?;
        Ok(Bench {
            db,
            addr,
            supervisor,
            officer,
            stop,
            _dir: dir,
            pg,
        })
    }

    async fn get(
        &self,
        client: &reqwest::Client,
        path: &str,
        query: &str,
    ) -> anyhow::Result<serde_json::Value> {
        let response = client
            .get(format!("http://{}{path}?{query}", self.addr))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{query}: {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    /// Real values to search for, taken from a case in the middle of the data.
    async fn sample_values(&self) -> anyhow::Result<Vec<(&'static str, String)>> {
        let page = self
            .get(&self.supervisor, "/api/v1/cases", "page=37&per_page=1")
            .await?;
        let item = &page["items"][0];
        let detail = self
            .get(
                &self.supervisor,
                &format!("/api/v1/cases/{}", item["id"]),
                "",
            )
            .await?;
        let name = detail["applicant"]["name"]
            .as_str()
            .unwrap_or("王")
            .to_string();
        let given: String = name.chars().skip(1).collect();
        let number = item["number"].as_str().unwrap_or_default().to_string();
        let this_year = domain::date::china_date(server::storage::now_ms()).0;
        let year = number
            .split(['〔', '〕'])
            .nth(1)
            .unwrap_or("2026")
            .to_string();
        let villages = self.get(&self.supervisor, "/api/v1/villages", "").await?;
        let township = villages
            .as_array()
            .and_then(|all| all.iter().find(|v| v["id"] == item["village"]["id"]))
            .map_or("1".to_string(), |v| v["township"]["id"].to_string());
        Ok(vec![
            ("{name}", name),
            ("{given}", given),
            ("{number}", number),
            ("{village}", item["village"]["id"].to_string()),
            ("{officer}", item["officer"]["id"].to_string()),
            ("{year}", year),
            ("{this_year}", this_year.to_string()),
            ("{last_year}", (this_year - 1).to_string()),
            // The oldest year `jiuzhu demo --cases` fills.
            ("{first_year}", (this_year - 2).to_string()),
            ("{township}", township),
        ])
    }

    async fn time(
        &self,
        client: &reqwest::Client,
        path: &str,
        query: &str,
        runs: usize,
    ) -> anyhow::Result<Vec<Duration>> {
        for _ in 0..3 {
            self.get(client, path, query).await?;
        }
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            self.get(client, path, query).await?;
            times.push(started.elapsed());
        }
        Ok(times)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.db.close().await;
        if let Some((admin, name)) = self.pg {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

/// A client holding the session cookie of `username`.
async fn logged_in(addr: std::net::SocketAddr, username: &str) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let login = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": username, "password": PASSWORD }))
        .send()
        .await?;
    anyhow::ensure!(login.status().is_success(), "{username}: login failed");
    Ok(client)
}

fn fill(template: &str, values: &[(&str, String)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (key, value)| {
            text.replace(key, &encode(value))
        })
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percentile(times: &[Duration], p: usize) -> f64 {
    let mut sorted: Vec<Duration> = times.to_vec();
    sorted.sort();
    let index = ((sorted.len() * p).div_ceil(100)).saturating_sub(1);
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}
