//! Several stateless instances on one database, as behind a load balancer:
//! sessions, writes, logouts and the login throttle are shared through the
//! database, never held in one process. (The concurrent-payment and spending
//! races across two instances are in `money.rs`.)

use reqwest::StatusCode;
use serde_json::json;

use server::service::session_cache::ENTRY_LIFETIME;
use sqlx::Connection;
use std::time::{Duration, Instant};

use crate::helpers::{
    get, json_body, on_both, post, postgres_url, spawn_app, today_in_china, Backend, DEMO_PASSWORD,
};

#[tokio::test]
async fn a_session_a_write_and_a_logout_on_one_instance_hold_on_the_other() {
    on_both(|app| async move {
        app.load_demo().await;
        let other = app.other_instance().await;
        let (officer, response) = app.login("wang.fang", DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);

        // The session made on the first instance is valid on the second.
        let me = get(&officer, other.url("/api/v1/auth/me")).await;
        assert_eq!(me.status(), StatusCode::OK);
        assert_eq!(json_body(me).await["username"], "wang.fang");

        // A write through the second is read through the first.
        let villages = json_body(get(&officer, app.url("/api/v1/villages")).await).await;
        let village = villages[0]["id"].clone();
        let lead = post(
            &officer,
            other.url("/api/v1/leads"),
            json!({
                "channel": "outreach", "received_on": today_in_china(), "reporter": "群众",
                "summary": "两台实例之间的线索。",
                "people": [{ "name": "林多实", "village_id": village }]
            }),
        )
        .await;
        assert_eq!(lead.status(), StatusCode::CREATED);
        let id = json_body(lead).await["id"].as_i64().unwrap();
        let read = get(&officer, app.url(&format!("/api/v1/leads/{id}"))).await;
        assert_eq!(read.status(), StatusCode::OK);
        assert_eq!(json_body(read).await["summary"], "两台实例之间的线索。");

        // Logging out on the second ends the session on the first too, though
        // the first has it cached: PostgreSQL announces the ending to it.
        let logout = officer
            .post(other.url("/api/v1/auth/logout"))
            .send()
            .await
            .unwrap();
        assert!(logout.status().is_success(), "{}", logout.status());
        refused_within_a_second(&officer, app.url("/api/v1/auth/me")).await;
        app
    })
    .await;
}

#[tokio::test]
async fn disabling_a_user_on_one_instance_ends_their_sessions_on_the_other() {
    on_both(|app| async move {
        app.load_demo().await;
        let other = app.other_instance().await;
        let admin = app.client_for("admin").await;
        let officer = app.client_for("chen.ming").await;
        // Both instances have checked (and cached) the officer's session.
        let me = json_body(get(&officer, other.url("/api/v1/auth/me")).await).await;
        assert_eq!(
            get(&officer, app.url("/api/v1/cases")).await.status(),
            StatusCode::OK
        );
        let id = me["id"].as_i64().unwrap();
        let disabled = admin
            .post(app.url(&format!("/api/v1/users/{id}/disable")))
            .send()
            .await
            .unwrap();
        assert_eq!(disabled.status(), StatusCode::OK);
        // At once on the instance that disabled the user...
        assert_eq!(
            get(&officer, app.url("/api/v1/auth/me")).await.status(),
            StatusCode::UNAUTHORIZED
        );
        // ...and as soon as the announcement arrives on the other.
        refused_within_a_second(&officer, other.url("/api/v1/cases")).await;
        app
    })
    .await;
}

/// A session ended while an instance could not hear the announcement (its
/// listening connection was cut) is not served from that instance's cache:
/// the cache starts afresh when the listener reconnects, well before an
/// entry's lifetime runs out.
#[tokio::test]
async fn a_session_ended_while_the_listener_was_cut_is_not_served_from_the_cache() {
    let Some((app, officer)) = postgres_app_with_officer().await else {
        return;
    };
    assert_eq!(
        get(&officer, app.url("/api/v1/auth/me")).await.status(),
        StatusCode::OK
    );

    let cut = terminate_backends(&app, "query LIKE 'LISTEN %'").await;
    assert_eq!(cut, 1, "the instance listens on one connection");
    // Ended behind the server's back, with no announcement at all.
    let mut db = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query("DELETE FROM sessions")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();

    let waited = refused_within(&officer, app.url("/api/v1/auth/me"), Duration::from_secs(3)).await;
    assert!(
        waited < ENTRY_LIFETIME,
        "refused after {waited:?}, not merely when the entry aged out"
    );
    app.shutdown().await;
}

/// Waits (briefly) for `url` to refuse the client's session.
async fn refused_within_a_second(client: &reqwest::Client, url: String) {
    refused_within(client, url, Duration::from_secs(1)).await;
}

/// How long `url` took to refuse the client's session; fails the test if it
/// did not within `limit`.
async fn refused_within(client: &reqwest::Client, url: String, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let status = get(client, url.clone()).await.status();
        if status == StatusCode::UNAUTHORIZED {
            return start.elapsed();
        }
        assert_eq!(status, StatusCode::OK, "{url}");
        assert!(
            start.elapsed() < limit,
            "{url} still accepted the session after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn failed_logins_count_across_instances() {
    on_both(|app| async move {
        app.load_demo().await;
        let other = app.other_instance().await;
        let client = app.client();
        let mut statuses = Vec::new();
        // Alternate instances: a throttle kept in one process would never trip.
        for n in 0..6 {
            let url = if n % 2 == 0 {
                app.url("/api/v1/auth/login")
            } else {
                other.url("/api/v1/auth/login")
            };
            let response = post(
                &client,
                url,
                json!({ "username": "chen.ming", "password": "wrong-password-000" }),
            )
            .await;
            statuses.push(response.status());
        }
        // Five failures lock the account, wherever they were made.
        let unauthorized = StatusCode::UNAUTHORIZED;
        let locked = StatusCode::TOO_MANY_REQUESTS;
        assert_eq!(
            statuses,
            [
                unauthorized,
                unauthorized,
                unauthorized,
                unauthorized,
                locked,
                locked
            ],
            "the throttle trips across instances"
        );
        // Even the right password waits now, on either instance.
        let response = post(
            &client,
            other.url("/api/v1/auth/login"),
            json!({ "username": "chen.ming", "password": DEMO_PASSWORD }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        app
    })
    .await;
}

/// PostgreSQL restarting, or an administrator ending sessions, drops every
/// pooled connection. Queries skip the ping a busy connection does not need,
/// so a connection that sat idle is the one checked before it is used again:
/// the first requests after a quiet spell must not fail.
#[tokio::test]
async fn requests_after_the_database_dropped_the_idle_connections_succeed() {
    let Some((app, officer)) = postgres_app_with_officer().await else {
        return;
    };
    let before = get(&officer, app.url("/api/v1/cases")).await;
    assert_eq!(before.status(), StatusCode::OK);

    let dropped = terminate_backends(&app, "TRUE").await;
    assert!(dropped > 0, "the server held connections");
    // A quiet spell: every pooled connection is now idle past the check's threshold.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    for path in [
        "/api/v1/cases",
        "/api/v1/auth/me",
        "/api/v1/villages",
        "/api/v1/cases",
    ] {
        let response = get(&officer, app.url(path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    app.shutdown().await;
}

/// A PostgreSQL instance with the demo data and the officer logged in; `None`
/// (the test skipped) without TEST_POSTGRES_URL.
async fn postgres_app_with_officer() -> Option<(crate::helpers::TestApp, reqwest::Client)> {
    if postgres_url().is_none() {
        eprintln!("skipped: TEST_POSTGRES_URL is not set");
        return None;
    }
    let app = spawn_app(Backend::Postgres).await;
    app.load_demo().await;
    let officer = app.client_for("wang.fang").await;
    Some((app, officer))
}

/// Ends the server's connections to its database that match `condition` (SQL
/// over `pg_stat_activity`), as an administrator or a restart would; how many.
async fn terminate_backends(app: &crate::helpers::TestApp, condition: &str) -> usize {
    let admin_url = postgres_url().expect("a PostgreSQL test");
    let database = app.database_url.rsplit('/').next().unwrap().to_string();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let ended: Vec<bool> = sqlx::query_scalar(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid() AND ({condition})"
    ))
    .bind(&database)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    ended.into_iter().filter(|ended| *ended).count()
}
