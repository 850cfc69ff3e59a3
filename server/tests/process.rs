//! The real `jiuzhu serve` process.
//!
//! Crash safety: it takes a stream of writes —
//! visits, payments, spending records — from concurrent clients, is killed
//! with SIGKILL in the middle, and started again on the same database. Every
//! write that was answered with a 2xx must be there afterwards, exactly once,
//! and the money ledgers must still add up. On SQLite always, and on
//! PostgreSQL when TEST_POSTGRES_URL is set.
//!
//! Its logs, at debug level, carry no names, ID numbers or phone numbers.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::sync::Mutex;

const PASSWORD: &str = "crash-demo-password";
/// Installments of the unsupervised case, each paid by one request.
const INSTALLMENTS: i64 = 60;
const INSTALLMENT_FEN: i64 = 10_000;
/// Money paid to the supervised case, spent 100 fen at a time.
const SUPERVISED_FEN: i64 = 200_000;
const SPENDING_FEN: i64 = 100;

struct Server {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn jiuzhu(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jiuzhu"));
    command
        .env("DATABASE_URL", database_url)
        .env_remove("JIUZHU_DEMO_PASSWORD")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

async fn start(database_url: &str, port: u16, site: &std::path::Path) -> Server {
    start_logging(database_url, port, site, None).await
}

/// Starts the server; with `log`, at debug level, its output goes to that file.
async fn start_logging(
    database_url: &str,
    port: u16,
    site: &std::path::Path,
    log: Option<&std::path::Path>,
) -> Server {
    let mut command = jiuzhu(database_url);
    command
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--site-root")
        .arg(site);
    if let Some(path) = log {
        let file = std::fs::File::create(path).unwrap();
        command
            .env("RUST_LOG", "debug")
            .stdout(file.try_clone().unwrap())
            .stderr(file);
    }
    let child = command.spawn().expect("jiuzhu serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await {
            if response.status() == StatusCode::OK {
                break;
            }
        }
        assert!(Instant::now() < deadline, "jiuzhu did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Server { child, base }
}

async fn login(base: &str, username: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let response = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "login {username}");
    client
}

async fn call(client: &Client, method: reqwest::Method, url: String, body: Value) -> Value {
    let response = client
        .request(method, url.clone())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let value: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{url}: {status} {value}");
    value
}

fn today() -> String {
    domain::date::format_date(domain::date::china_date(server::storage::now_ms()))
}

fn child_id_number(serial: u32) -> String {
    domain::idcard::with_check_char(&format!("34042220160315{serial:03}")).unwrap()
}

fn phone(serial: u32) -> String {
    format!("139{serial:08}")
}

/// An approved case of wang.fang about a child of 小甸村, paying; returns
/// (case id, the child's guardian's person id).
async fn paying_case(
    base: &str,
    officer: &Client,
    supervisor: &Client,
    serial: u32,
    amount: i64,
) -> (i64, i64) {
    let villages = call(
        officer,
        reqwest::Method::GET,
        format!("{base}/api/v1/villages"),
        Value::Null,
    )
    .await;
    let village = villages
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "小甸村")
        .unwrap()["id"]
        .clone();
    let id_number = child_id_number(serial);
    let lead = call(
        officer,
        reqwest::Method::POST,
        format!("{base}/api/v1/leads"),
        json!({
            "channel": "hotline_12309", "received_on": today(), "reporter": "母亲",
            "summary": "未成年被害人受伤。",
            "people": [
                { "name": format!("崩溃{serial}"), "id_number": id_number, "village_id": village, "phone": phone(serial), "priority_groups": ["minor"] },
                { "name": format!("崩溃母{serial}"), "village_id": village }
            ],
            "confirm_duplicate": true
        }),
    )
    .await;
    let case = call(
        officer,
        reqwest::Method::POST,
        format!("{base}/api/v1/leads/{}/accept", lead["id"]),
        json!({ "agent_index": 1, "agent_relationship": "母亲" }),
    )
    .await;
    let case_id = case["id"].as_i64().unwrap();
    let transitions = format!("{base}/api/v1/cases/{case_id}/transitions");
    for (client, body) in [
        (officer, json!({ "action": "start_investigation" })),
        (
            officer,
            json!({ "action": "propose", "amount_fen": amount, "comment": "符合条件" }),
        ),
        (
            supervisor,
            json!({ "action": "approve", "comment": "同意" }),
        ),
        (officer, json!({ "action": "start_payment" })),
    ] {
        call(client, reqwest::Method::POST, transitions.clone(), body).await;
    }
    (case_id, case["agent"]["id"].as_i64().unwrap())
}

async fn money(base: &str, client: &Client, case_id: i64) -> Value {
    call(
        client,
        reqwest::Method::GET,
        format!("{base}/api/v1/cases/{case_id}/money"),
        Value::Null,
    )
    .await
}

/// What the clients were told was stored.
#[derive(Default)]
struct Acknowledged {
    visits: Vec<String>,
    installments: Vec<i64>,
    spending: Vec<i64>,
}

async fn crash_and_recover(database_url: &str) {
    let site = tempfile::tempdir().unwrap();
    let status = jiuzhu(database_url)
        .args(["demo", "--password", PASSWORD])
        .status()
        .unwrap();
    assert!(status.success(), "demo data loads");
    let port = free_port();
    let mut server = start(database_url, port, site.path()).await;
    let base = server.base.clone();
    let officer = login(&base, "wang.fang").await;
    let supervisor = login(&base, "zhang.jian").await;

    // Case P: an unsupervised plan of many installments, paid one request each.
    let (plain, _) = paying_case(
        &base,
        &officer,
        &supervisor,
        1,
        INSTALLMENTS * INSTALLMENT_FEN,
    )
    .await;
    let installments: Vec<Value> = (0..INSTALLMENTS)
        .map(|day| {
            let due = domain::date::china_date(server::storage::now_ms() + day * 86_400_000);
            json!({ "due_on": domain::date::format_date(due), "amount_fen": INSTALLMENT_FEN })
        })
        .collect();
    let view = call(
        &officer,
        reqwest::Method::POST,
        format!("{base}/api/v1/cases/{plain}/money/plan"),
        json!({ "kind": "installments", "supervised": false, "installments": installments }),
    )
    .await;
    let to_pay: Vec<i64> = view["plan"]["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();

    // Case S: supervised, paid in one installment, then spent 100 fen at a time.
    let (supervised, guardian) = paying_case(&base, &officer, &supervisor, 2, SUPERVISED_FEN).await;
    call(
        &officer,
        reqwest::Method::POST,
        format!("{base}/api/v1/cases/{supervised}/money/plan"),
        json!({ "kind": "single", "supervised": true, "installments": [{ "due_on": today(), "amount_fen": SUPERVISED_FEN }] }),
    )
    .await;
    let mut scans = Vec::new();
    for kind in ["agreement", "pledge"] {
        let response = officer
            .post(format!(
                "{base}/api/v1/cases/{supervised}/money/documents?kind={kind}"
            ))
            .header("content-type", "application/octet-stream")
            .body(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR scan".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        scans.push(response.json::<Value>().await.unwrap()["id"].clone());
    }
    let view = call(
        &officer,
        reqwest::Method::POST,
        format!("{base}/api/v1/cases/{supervised}/money/supervision"),
        json!({
            "guardian_person_id": guardian, "agreement_signed_on": today(), "pledge_signed_on": today(),
            "agreement_document_ids": [scans[0]], "pledge_document_ids": [scans[1]]
        }),
    )
    .await;
    let single = view["plan"]["installments"][0]["id"].as_i64().unwrap();
    call(
        &officer,
        reqwest::Method::POST,
        format!("{base}/api/v1/money/installments/{single}/pay"),
        json!({ "paid_on": today(), "method": "bank_transfer", "reference": "CRASH-0" }),
    )
    .await;

    // Three writers, each sending one request after another until the server is gone.
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let mut writers = Vec::new();
    {
        let (client, base, acknowledged) = (officer.clone(), base.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for n in 0..10_000 {
                let id = uuid::Uuid::new_v4().to_string();
                let body = json!({
                    "kind": "phone_follow_up", "visited_at": server::storage::now_ms() - 60_000,
                    "place": "电话", "people_met": "监护人", "findings": {}, "notes": format!("第{n}次回访")
                });
                match client.put(format!("{base}/api/v1/cases/{plain}/visits/{id}")).json(&body).send().await {
                    Ok(r) if r.status().is_success() => acknowledged.lock().await.visits.push(id),
                    Ok(r) => panic!("visit refused: {}", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    {
        let (client, base, acknowledged) = (officer.clone(), base.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for (n, id) in to_pay.into_iter().enumerate() {
                let body = json!({ "paid_on": today(), "method": "bank_transfer", "reference": format!("CRASH-{n}") });
                match client.post(format!("{base}/api/v1/money/installments/{id}/pay")).json(&body).send().await {
                    Ok(r) if r.status().is_success() => acknowledged.lock().await.installments.push(id),
                    Ok(r) => panic!("payment refused: {}", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    {
        let (client, base, acknowledged) = (officer.clone(), base.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for _ in 0..(SUPERVISED_FEN / SPENDING_FEN) {
                let body =
                    json!({ "amount_fen": SPENDING_FEN, "purpose": "living", "spent_on": today() });
                match client
                    .post(format!("{base}/api/v1/cases/{supervised}/money/spending"))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        let view: Value = r.json().await.unwrap();
                        let id = view["spending"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| s["id"].as_i64().unwrap())
                            .max()
                            .unwrap();
                        acknowledged.lock().await.spending.push(id);
                    }
                    Ok(r) => panic!("spending refused: {}", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }

    // Kill it once every stream has been acknowledged a few times, mid-flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        {
            let a = acknowledged.lock().await;
            if a.visits.len() >= 15 && a.installments.len() >= 15 && a.spending.len() >= 15 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the writers made too little progress"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix.
    server.child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = Arc::try_unwrap(acknowledged).ok().unwrap().into_inner();

    let mut server = start(database_url, port, site.path()).await;
    let officer = login(&base, "wang.fang").await;

    for id in &acknowledged.visits {
        let response = officer
            .get(format!("{base}/api/v1/visits/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged visit {id} lost"
        );
    }
    let visits = call(
        &officer,
        reqwest::Method::GET,
        format!("{base}/api/v1/cases/{plain}/visits"),
        Value::Null,
    )
    .await;
    let stored: Vec<&str> = visits["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    for id in &acknowledged.visits {
        let copies = stored.iter().filter(|s| *s == id).count();
        assert_eq!(copies, 1, "visit {id} stored {copies} times");
    }

    let view = money(&base, &officer, plain).await;
    let paid: Vec<i64> = view["plan"]["installments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["payment"].is_null())
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    for id in &acknowledged.installments {
        assert!(
            paid.contains(id),
            "acknowledged payment of installment {id} lost"
        );
    }
    let paid_sum: i64 = view["plan"]["installments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["payment"]["amount_fen"].as_i64())
        .sum();
    assert_eq!(
        view["ledger"]["paid_fen"], paid_sum,
        "the paid total is the sum of the payments"
    );
    assert_eq!(paid_sum, paid.len() as i64 * INSTALLMENT_FEN);

    let view = money(&base, &officer, supervised).await;
    let spending: Vec<i64> = view["spending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    for id in &acknowledged.spending {
        assert!(
            spending.contains(id),
            "acknowledged spending record {id} lost"
        );
    }
    let spent_sum: i64 = view["spending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(
        view["ledger"]["spent_fen"], spent_sum,
        "the spent total is the sum of the records"
    );
    assert_eq!(view["ledger"]["paid_fen"], SUPERVISED_FEN);
    assert_eq!(view["balance_fen"], SUPERVISED_FEN - spent_sum);

    // And it keeps working: a write after the restart is stored.
    let id = uuid::Uuid::new_v4().to_string();
    let response = officer
        .put(format!("{base}/api/v1/cases/{plain}/visits/{id}"))
        .json(&json!({ "kind": "phone_follow_up", "visited_at": server::storage::now_ms(), "place": "电话", "people_met": "监护人", "findings": {} }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    eprintln!(
        "acknowledged before SIGKILL: {} visits, {} payments, {} spending records",
        acknowledged.visits.len(),
        acknowledged.installments.len(),
        acknowledged.spending.len()
    );
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_write_through_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("crash.db").display());
    crash_and_recover(&url).await;
    let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_write_through_sigkill() {
    let Ok(admin_url) = std::env::var("TEST_POSTGRES_URL") else {
        eprintln!("TEST_POSTGRES_URL not set: the PostgreSQL crash test is skipped");
        return;
    };
    let name = format!("jiuzhu_crash_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (prefix, _) = admin_url.rsplit_once('/').unwrap();
    crash_and_recover(&format!("{prefix}/{name}")).await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debug_log_carries_no_names_id_numbers_or_phone_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("logs.db").display());
    let log = dir.path().join("serve.log");
    let status = jiuzhu(&url)
        .args(["demo", "--password", PASSWORD])
        .status()
        .unwrap();
    assert!(status.success());
    let port = free_port();
    let mut server = start_logging(&url, port, dir.path(), Some(&log)).await;
    let base = server.base.clone();
    let officer = login(&base, "wang.fang").await;
    let supervisor = login(&base, "zhang.jian").await;
    let serial = 7;
    let (case_id, _) = paying_case(&base, &officer, &supervisor, serial, 50_000).await;
    let name = format!("崩溃{serial}");
    let encoded: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    // Searches put names and numbers in the URL; failed input echoes them back.
    for query in [encoded.clone(), child_id_number(serial), phone(serial)] {
        let response = officer
            .get(format!("{base}/api/v1/cases?q={query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = officer
        .post(format!("{base}/api/v1/leads"))
        .json(&json!({
            "channel": "outreach", "received_on": today(), "reporter": name, "summary": "x",
            "people": [{ "name": name, "id_number": format!("{}0", child_id_number(serial)), "phone": phone(serial) }]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for path in [
        format!("/cases/{case_id}"),
        format!("/api/v1/cases/{case_id}"),
    ] {
        let response = officer.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.lines().count() > 20 && text.contains("/api/v1/cases"),
        "the log was written at debug level: {} lines",
        text.lines().count()
    );
    for secret in [
        name.as_str(),
        &encoded,
        &child_id_number(serial),
        &phone(serial),
        "崩溃母",
    ] {
        let leaks: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(secret))
            .take(3)
            .collect();
        assert!(leaks.is_empty(), "{secret} is in the log: {leaks:#?}");
    }
}
