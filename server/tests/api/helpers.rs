//! Test harness: the real application on an ephemeral port, on a fresh
//! database per test — a SQLite file always, and a PostgreSQL database named
//! with a UUID when `TEST_POSTGRES_URL` is set.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use server::config::{AppConfig, Settings};
use server::service::{demo, rollup};
use server::startup::Application;
use server::storage::rollup as rollup_store;
use server::storage::Db;
use sqlx::Connection;

/// Every demo account gets this password in tests.
pub const DEMO_PASSWORD: &str = "demo-password-123";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    pub database_url: String,
    /// The follow-up days the server was started with (the rollups count by them).
    pub follow_up_days: Vec<i64>,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pg_cleanup: Option<(String, String)>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A client with its own cookie jar: one per simulated browser.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // A request the server never answers fails its test instead of
            // stalling the whole suite (a page render once hung in CI).
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .expect("client builds")
    }

    pub async fn login(&self, username: &str, password: &str) -> (Client, Response) {
        let client = self.client();
        let response = client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("request sent");
        (client, response)
    }

    /// A logged-in client for a demo account.
    pub async fn client_for(&self, username: &str) -> Client {
        let (client, response) = self.login(username, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        client
    }

    pub async fn load_demo(&self) {
        demo::load(&self.db, Some(DEMO_PASSWORD))
            .await
            .expect("demo data loads");
    }

    /// Counts the statistics rollups afresh from the cases (as after writing
    /// rows straight into the database, around the use cases).
    pub async fn rebuild_rollups(&self) {
        rollup::rebuild(&self.db, &self.follow_up_days)
            .await
            .expect("rollups rebuild");
    }

    /// Every write through the API must have kept the statistics rollups
    /// exactly as a rebuild from the cases counts them. Checked at the end of
    /// every test whose rollups are built (not after a restore, which leaves
    /// them to be rebuilt, nor on a database without the tables).
    async fn assert_rollups_match_a_rebuild(&self) {
        let built = rollup_store::built_with_db(&self.db).await;
        if !matches!(built, Ok(Some(_))) {
            return;
        }
        let kept = rollup_store::all_cells(&self.db)
            .await
            .expect("rollup cells");
        self.rebuild_rollups().await;
        let counted = rollup_store::all_cells(&self.db)
            .await
            .expect("rollup cells");
        if kept != counted {
            let missing: Vec<_> = counted.iter().filter(|c| !kept.contains(c)).collect();
            let extra: Vec<_> = kept.iter().filter(|c| !counted.contains(c)).collect();
            panic!("the rollups kept by the writes differ from a rebuild:\nmissing {missing:#?}\nextra {extra:#?}");
        }
    }

    /// Checks the rollups, stops the server (gracefully) and drops a
    /// PostgreSQL test database.
    pub async fn shutdown(mut self) {
        self.assert_rollups_match_a_rebuild().await;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.db.close().await;
        if let Some((admin_url, name)) = self.pg_cleanup.take() {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }

    /// Stops accepting and waits for in-flight requests; returns the server task.
    pub fn begin_shutdown(&mut self) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.take().expect("server running")
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, AppConfig::default()).await
}

/// A test app with its own settings.
pub async fn spawn_app_with(backend: Backend, config: AppConfig) -> TestApp {
    let app = build_app(backend, config).await;
    app.db.migrate().await.expect("migrate");
    // As at a real start: from here every write keeps the rollups.
    rollup::ensure_current(&app.db, &app.follow_up_days)
        .await
        .expect("rollups built");
    app
}

/// A test app on a database without any schema yet (upgrade tests make an
/// old release's schema first); no request may come before it is migrated.
pub async fn spawn_unmigrated(backend: Backend) -> TestApp {
    build_app(backend, AppConfig::default()).await
}

async fn build_app(backend: Backend, config: AppConfig) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        server::telemetry::init(true);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg_cleanup) = match backend {
        Backend::Sqlite => (
            format!("sqlite:{}", dir.path().join("test.db").display()),
            None,
        ),
        Backend::Postgres => {
            let admin_url = postgres_url().expect("TEST_POSTGRES_URL set");
            let name = format!("jiuzhu_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(base, _)| base)
                .unwrap_or(&admin_url);
            (format!("{base}/{name}"), Some((admin_url.clone(), name)))
        }
    };
    let db = Db::connect(&database_url).await.expect("connect");
    let follow_up_days = config.follow_up_days.clone();
    let settings = Settings {
        addr: "127.0.0.1:0".parse().expect("addr"),
        database_url: database_url.clone(),
        site_root: PathBuf::from(dir.path()),
        http: config,
        backup: None,
    };
    let app = Application::build_with_db(settings, db.clone())
        .await
        .expect("app builds");
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        db,
        database_url,
        follow_up_days,
        _dir: dir,
        stop: Some(stop),
        server: Some(server),
        pg_cleanup,
    }
}

/// Runs `test` on SQLite, then on PostgreSQL when `TEST_POSTGRES_URL` is set.
pub async fn on_both<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = TestApp>,
{
    on_both_with(AppConfig::default(), test).await
}

/// [`on_both`] with a configuration of the test's own.
pub async fn on_both_with<F, Fut>(config: AppConfig, test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = TestApp>,
{
    let app = spawn_app_with(Backend::Sqlite, config.clone()).await;
    test(app).await.shutdown().await;
    if postgres_url().is_some() {
        let app = spawn_app_with(Backend::Postgres, config).await;
        test(app).await.shutdown().await;
    } else {
        eprintln!("PostgreSQL half skipped: TEST_POSTGRES_URL is not set");
    }
}

pub async fn json_body(response: Response) -> Value {
    response.json::<Value>().await.expect("JSON body")
}

pub async fn get(client: &Client, url: String) -> Response {
    client.get(url).send().await.unwrap()
}

/// GET that must answer 200; its JSON body.
pub async fn get_json(client: &Client, url: String) -> Value {
    let response = get(client, url).await;
    assert_eq!(response.status(), StatusCode::OK, "status of GET");
    json_body(response).await
}

/// GET that must answer 200; its body as text (a rendered page, say).
pub async fn get_text(client: &Client, url: String) -> String {
    let response = get(client, url).await;
    assert_eq!(response.status(), StatusCode::OK, "status of GET");
    response.text().await.unwrap()
}

/// POST with a JSON body.
pub async fn post(client: &Client, url: String, body: Value) -> Response {
    client.post(url).json(&body).send().await.unwrap()
}

/// Percent-encodes everything but ASCII letters and digits, for query strings.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Today in China time as the server counts it, `YYYY-MM-DD`.
pub fn today_in_china() -> String {
    domain::date::format_date(domain::date::china_date(server::storage::now_ms()))
}

/// Asserts the status and the error code of an error response.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let body = json_body(response).await;
    assert_eq!(body["error"]["code"], code, "error code in {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    body
}

impl TestApp {
    /// A logged-in client for an account with its own password.
    pub async fn client_for_password(&self, username: &str, password: &str) -> Client {
        let (client, response) = self.login(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        client
    }
}

/// A second server instance on the same database, with its own connection
/// pool, as a second machine behind a load balancer would be. It stops when dropped.
pub struct OtherInstance {
    pub addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl OtherInstance {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl TestApp {
    pub async fn other_instance(&self) -> OtherInstance {
        let db = Db::connect(&self.database_url).await.expect("connect");
        let settings = Settings {
            addr: "127.0.0.1:0".parse().expect("addr"),
            database_url: self.database_url.clone(),
            site_root: PathBuf::from(self._dir.path()),
            http: AppConfig::default(),
            backup: None,
        };
        let app = Application::build_with_db(settings, db)
            .await
            .expect("second instance builds");
        let addr = app.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        OtherInstance { addr, _stop: stop }
    }
}
