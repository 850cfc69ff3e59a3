use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, get_text, json_body, on_both, DEMO_PASSWORD};

#[tokio::test]
async fn login_sets_an_http_only_session_cookie_and_logout_ends_it() {
    on_both(|app| async move {
        app.load_demo().await;
        let (client, response) = app.login("wang.fang", DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cookie.starts_with("jiuzhu_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("Secure"),
            "plain HTTP without a proxy: {cookie}"
        );
        let me = json_body(response).await;
        assert_eq!(me["role"], "officer");

        let me = client.get(app.url("/api/v1/auth/me")).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);

        let out = client
            .post(app.url("/api/v1/auth/logout"))
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        let me = client.get(app.url("/api/v1/auth/me")).send().await.unwrap();
        assert_error(me, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        app
    })
    .await;
}

#[tokio::test]
async fn cookies_are_secure_behind_a_tls_proxy() {
    on_both(|app| async move {
        app.load_demo().await;
        let response = app
            .client()
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-proto", "https")
            .json(&json!({ "username": "admin", "password": DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("; Secure"));
        app
    })
    .await;
}

#[tokio::test]
async fn every_role_logs_in_and_sees_its_own_scope() {
    on_both(|app| async move {
        app.load_demo().await;
        for (username, role) in [
            ("admin", "admin"),
            ("zhang.jian", "supervisor"),
            ("wang.fang", "officer"),
            ("vc.xiaodian", "village_committee"),
            ("edu.bureau", "partner"),
        ] {
            let client = app.client_for(username).await;
            let me = json_body(client.get(app.url("/api/v1/auth/me")).send().await.unwrap()).await;
            assert_eq!(me["role"], role, "{username}");
            assert_eq!(me["username"], username);
            match role {
                "village_committee" => assert_eq!(me["village"]["name"], "小甸村"),
                "partner" => assert_eq!(me["agency"]["name"], "县教育局"),
                _ => assert!(me["village"].is_null() && me["agency"].is_null()),
            }
        }
        app
    })
    .await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    on_both(|app| async move {
        app.load_demo().await;
        let (_, wrong) = app.login("wang.fang", "not-the-password").await;
        assert_error(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        let (_, unknown) = app.login("nobody.here", "not-the-password").await;
        assert_error(unknown, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        app
    })
    .await;
}

#[tokio::test]
async fn repeated_failures_lock_the_username_even_for_the_right_password() {
    on_both(|app| async move {
        app.load_demo().await;
        for attempt in 1..=4 {
            let (_, response) = app.login("chen.ming", "guess-guess-guess").await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "attempt {attempt}"
            );
        }
        let (_, fifth) = app.login("chen.ming", "guess-guess-guess").await;
        assert_eq!(fifth.headers()["retry-after"], "900");
        assert_error(fifth, StatusCode::TOO_MANY_REQUESTS, "login_locked").await;
        let (_, right) = app.login("chen.ming", DEMO_PASSWORD).await;
        assert_error(right, StatusCode::TOO_MANY_REQUESTS, "login_locked").await;
        // Another user is not affected.
        let (_, other) = app.login("wang.fang", DEMO_PASSWORD).await;
        assert_eq!(other.status(), StatusCode::OK);
        app
    })
    .await;
}

#[tokio::test]
async fn a_successful_login_clears_earlier_failures() {
    on_both(|app| async move {
        app.load_demo().await;
        for _ in 0..3 {
            app.login("wang.fang", "guess-guess-guess").await;
        }
        let (_, ok) = app.login("wang.fang", DEMO_PASSWORD).await;
        assert_eq!(ok.status(), StatusCode::OK);
        for _ in 0..3 {
            let (_, response) = app.login("wang.fang", "guess-guess-guess").await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "the count restarted after success"
            );
        }
        app
    })
    .await;
}

#[tokio::test]
async fn a_forged_session_cookie_is_not_a_session() {
    on_both(|app| async move {
        let response = reqwest::Client::new()
            .get(app.url("/api/v1/auth/me"))
            .header("cookie", "jiuzhu_session=forged-token")
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        app
    })
    .await;
}

/// The login page's form, sent by the browser before the page's script has
/// taken it over: a POST with the fields as a form, answered with redirects.
#[tokio::test]
async fn the_login_form_works_without_the_page_script() {
    on_both(|app| async move {
        app.load_demo().await;
        let client = app.client();
        let response = client
            .post(app.url("/login"))
            .header("origin", format!("http://{}", app.addr))
            .form(&[("username", "wang.fang"), ("password", DEMO_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        assert!(
            cookie.starts_with("jiuzhu_session=") && cookie.contains("HttpOnly"),
            "{cookie}"
        );
        let me = json_body(client.get(app.url("/api/v1/auth/me")).send().await.unwrap()).await;
        assert_eq!(me["username"], "wang.fang");

        // A wrong password goes back to the form, which says why.
        let stranger = app.client();
        let refused = stranger
            .post(app.url("/login"))
            .form(&[("username", "wang.fang"), ("password", "not-the-password")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            refused.headers()["location"],
            "/login?error=invalid_credentials"
        );
        assert!(refused.headers().get("set-cookie").is_none());
        let page = get_text(&stranger, app.url("/login?error=invalid_credentials")).await;
        assert!(page.contains("用户名或密码错误"), "{page}");
        let me = stranger
            .get(app.url("/api/v1/auth/me"))
            .send()
            .await
            .unwrap();
        assert_error(me, StatusCode::UNAUTHORIZED, "unauthenticated").await;

        // A field missing: told so, nothing else happens.
        let incomplete = stranger
            .post(app.url("/login"))
            .form(&[("username", "wang.fang")])
            .send()
            .await
            .unwrap();
        assert_eq!(incomplete.headers()["location"], "/login?error=required");

        // Another site's form cannot log a browser in.
        let forged = stranger
            .post(app.url("/login"))
            .header("origin", "https://evil.example")
            .form(&[("username", "wang.fang"), ("password", DEMO_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_error(forged, StatusCode::FORBIDDEN, "cross_origin").await;
        app
    })
    .await;
}
