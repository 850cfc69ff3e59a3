//! Probes, error shapes, limits, the OpenAPI document and graceful shutdown.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, json_body, on_both, spawn_app, Backend};

#[tokio::test]
async fn probes_answer_and_carry_a_request_id() {
    on_both(|app| async move {
        let health = app.client().get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        assert!(health.headers().contains_key("x-request-id"));
        let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        assert_eq!(json_body(ready).await["status"], "ready");
        app
    })
    .await;
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app(Backend::Sqlite).await;
    app.db.close().await;
    let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the process itself is up");
    app.shutdown().await;
}

#[tokio::test]
async fn bad_request_bodies_get_a_clear_4xx_in_the_error_shape() {
    on_both(|app| async move {
        let client = app.client();
        let login = app.url("/api/v1/auth/login");
        let malformed = client
            .post(&login)
            .header("content-type", "application/json")
            .body("{\"username\":")
            .send()
            .await
            .unwrap();
        assert_error(malformed, StatusCode::BAD_REQUEST, "malformed_json").await;
        let wrong_type = client
            .post(&login)
            .json(&json!({ "username": 5, "password": "x" }))
            .send()
            .await
            .unwrap();
        assert_error(wrong_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        let unknown_field = client
            .post(&login)
            .json(&json!({ "username": "a", "password": "b", "remember": true }))
            .send()
            .await
            .unwrap();
        assert_error(
            unknown_field,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        )
        .await;
        let no_type = client.post(&login).body("{}").send().await.unwrap();
        assert_error(
            no_type,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
        let huge = format!(
            "{{\"username\":\"{}\",\"password\":\"x\"}}",
            "a".repeat(200_000)
        );
        let too_large = client
            .post(&login)
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap();
        assert_error(too_large, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
        let bad_path = client
            .get(app.url("/api/v1/audit/user/1"))
            .send()
            .await
            .unwrap();
        assert_error(bad_path, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        app
    })
    .await;
}

#[tokio::test]
async fn unknown_api_paths_are_json_404_and_wrong_methods_405() {
    on_both(|app| async move {
        let client = app.client();
        let missing = client
            .get(app.url("/api/v1/no-such-thing"))
            .send()
            .await
            .unwrap();
        assert_error(missing, StatusCode::NOT_FOUND, "not_found").await;
        let wrong_method = client
            .delete(app.url("/api/v1/auth/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
        app
    })
    .await;
}

#[tokio::test]
async fn cross_origin_writes_are_refused() {
    on_both(|app| async move {
        let response = app
            .client()
            .post(app.url("/api/v1/auth/logout"))
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::FORBIDDEN, "cross_origin").await;
        let same_origin = app
            .client()
            .post(app.url("/api/v1/auth/logout"))
            .header("origin", format!("http://{}", app.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(same_origin.status(), StatusCode::NO_CONTENT);
        app
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc = json_body(
        app.client()
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/users",
        "/api/v1/users/{id}/disable",
        "/api/v1/users/{id}/enable",
        "/api/v1/users/{id}/password",
        "/api/v1/villages",
        "/api/v1/agencies",
        "/api/v1/audit/{entity_type}/{entity_id}",
        "/api/v1/leads",
        "/api/v1/leads/{id}",
        "/api/v1/leads/{id}/accept",
        "/api/v1/leads/{id}/decline",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/transitions",
        "/api/v1/cases/{id}/green-channel/confirm",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["securitySchemes"]["session"].is_object());
    app.shutdown().await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let mut app = spawn_app(Backend::Sqlite).await;
    // A failed login waits on purpose (the brake on guessing), so it is in flight for a while.
    let client = app.client();
    let url = app.url("/api/v1/auth/login");
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .json(&json!({ "username": "nobody.here", "password": "guess-guess" }))
            .send()
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let server = app.begin_shutdown();
    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight request got its answer");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    server.await.unwrap().unwrap();
    let refused = app.client().get(app.url("/healthz")).send().await;
    assert!(refused.is_err(), "no new connections after shutdown");
    app.shutdown().await;
}
