use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, json_body, on_both, DEMO_PASSWORD};

fn new_officer(username: &str) -> Value {
    json!({
        "username": username,
        "display_name": "赵新",
        "role": "officer",
        "password": "a-new-password-1"
    })
}

#[tokio::test]
async fn only_admins_manage_users() {
    on_both(|app| async move {
        app.load_demo().await;
        let anonymous = app
            .client()
            .get(app.url("/api/v1/users"))
            .send()
            .await
            .unwrap();
        assert_error(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        for username in ["wang.fang", "zhang.jian", "vc.xiaodian", "edu.bureau"] {
            let client = app.client_for(username).await;
            let list = client.get(app.url("/api/v1/users")).send().await.unwrap();
            assert_error(list, StatusCode::FORBIDDEN, "forbidden").await;
            let create = client
                .post(app.url("/api/v1/users"))
                .json(&new_officer("zhao.xin"))
                .send()
                .await
                .unwrap();
            assert_error(create, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let admin = app.client_for("admin").await;
        let list = json_body(admin.get(app.url("/api/v1/users")).send().await.unwrap()).await;
        assert_eq!(list.as_array().map(Vec::len), Some(11));
        app
    })
    .await;
}

#[tokio::test]
async fn admin_adds_a_user_who_can_then_log_in_and_the_change_is_audited() {
    on_both(|app| async move {
        app.load_demo().await;
        let admin = app.client_for("admin").await;
        let created = admin
            .post(app.url("/api/v1/users"))
            .json(&new_officer("zhao.xin"))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let created = json_body(created).await;
        assert_eq!(created["role"], "officer");
        assert_eq!(created["disabled"], false);
        let id = created["id"].as_i64().unwrap();

        let (_, login) = app.login("zhao.xin", "a-new-password-1").await;
        assert_eq!(login.status(), StatusCode::OK);

        let audit = json_body(
            admin
                .get(app.url(&format!("/api/v1/audit/user/{id}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let entry = &audit[0];
        assert_eq!(entry["action"], "user.created");
        assert_eq!(entry["actor"]["name"], "admin");
        assert_eq!(entry["after"]["username"], "zhao.xin");
        assert!(
            entry["after"].get("password_hash").is_none(),
            "no secrets in the audit log"
        );
        assert!(entry["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        app
    })
    .await;
}

#[tokio::test]
async fn bad_new_users_are_refused_with_the_field_at_fault() {
    on_both(|app| async move {
        app.load_demo().await;
        let admin = app.client_for("admin").await;
        let post = |body: Value| admin.post(app.url("/api/v1/users")).json(&body).send();

        let taken = post(new_officer("wang.fang")).await.unwrap();
        assert_error(taken, StatusCode::CONFLICT, "username_taken").await;

        let bad_name = post(new_officer("X")).await.unwrap();
        let body = assert_error(
            bad_name,
            StatusCode::UNPROCESSABLE_ENTITY,
            "username_length",
        )
        .await;
        assert_eq!(body["error"]["field"], "username");

        let mut short = new_officer("zhao.xin");
        short["password"] = json!("short");
        assert_error(
            post(short).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password_too_short",
        )
        .await;

        let mut no_village = new_officer("vc.new");
        no_village["role"] = json!("village_committee");
        assert_error(
            post(no_village).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "village_required",
        )
        .await;

        let mut unknown_village = new_officer("vc.new");
        unknown_village["role"] = json!("village_committee");
        unknown_village["village_id"] = json!(99999);
        assert_error(
            post(unknown_village).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_village",
        )
        .await;

        let mut bad_role = new_officer("zhao.xin");
        bad_role["role"] = json!("root");
        assert_error(
            post(bad_role).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        )
        .await;

        // Nothing of the above was stored.
        let list = json_body(admin.get(app.url("/api/v1/users")).send().await.unwrap()).await;
        assert_eq!(list.as_array().map(Vec::len), Some(11));
        app
    })
    .await;
}

#[tokio::test]
async fn a_village_committee_account_is_bound_to_its_village() {
    on_both(|app| async move {
        app.load_demo().await;
        let admin = app.client_for("admin").await;
        let villages =
            json_body(admin.get(app.url("/api/v1/villages")).send().await.unwrap()).await;
        let village = villages
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "老庙村")
            .unwrap()
            .clone();
        let body = json!({
            "username": "vc.laomiao", "display_name": "老庙村村委会", "role": "village_committee",
            "village_id": village["id"], "password": "village-password-1"
        });
        let created = admin
            .post(app.url("/api/v1/users"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let client = app
            .client_for_password("vc.laomiao", "village-password-1")
            .await;
        let me = json_body(client.get(app.url("/api/v1/auth/me")).send().await.unwrap()).await;
        assert_eq!(me["village"]["name"], "老庙村");
        assert_eq!(me["village"]["id"], village["id"]);
        app
    })
    .await;
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_enabling_lets_them_back() {
    on_both(|app| async move {
        app.load_demo().await;
        let admin = app.client_for("admin").await;
        let officer = app.client_for("chen.ming").await;
        let me = json_body(
            officer
                .get(app.url("/api/v1/auth/me"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let id = me["id"].as_i64().unwrap();

        let disabled = admin
            .post(app.url(&format!("/api/v1/users/{id}/disable")))
            .send()
            .await
            .unwrap();
        assert_eq!(json_body(disabled).await["disabled"], true);
        let me = officer
            .get(app.url("/api/v1/auth/me"))
            .send()
            .await
            .unwrap();
        assert_error(me, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        let (_, login) = app.login("chen.ming", DEMO_PASSWORD).await;
        assert_error(login, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

        let enabled = admin
            .post(app.url(&format!("/api/v1/users/{id}/enable")))
            .send()
            .await
            .unwrap();
        assert_eq!(json_body(enabled).await["disabled"], false);
        let (_, login) = app.login("chen.ming", DEMO_PASSWORD).await;
        assert_eq!(login.status(), StatusCode::OK);

        let audit = json_body(
            admin
                .get(app.url(&format!("/api/v1/audit/user/{id}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let actions: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            vec!["user.enabled", "user.disabled", "user.created"]
        );
        assert_eq!(audit[1]["before"]["disabled"], false);
        assert_eq!(audit[1]["after"]["disabled"], true);
        app
    })
    .await;
}

#[tokio::test]
async fn an_admin_cannot_disable_themselves() {
    on_both(|app| async move {
        app.load_demo().await;
        let admin = app.client_for("admin").await;
        let me = json_body(admin.get(app.url("/api/v1/auth/me")).send().await.unwrap()).await;
        let id = me["id"].as_i64().unwrap();
        let response = admin
            .post(app.url(&format!("/api/v1/users/{id}/disable")))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::CONFLICT, "cannot_disable_self").await;
        let missing = admin
            .post(app.url("/api/v1/users/99999/disable"))
            .send()
            .await
            .unwrap();
        assert_error(missing, StatusCode::NOT_FOUND, "not_found").await;
        app
    })
    .await;
}

#[tokio::test]
async fn a_password_reset_ends_old_sessions_and_the_new_password_works() {
    on_both(|app| async move {
        app.load_demo().await;
        let admin = app.client_for("admin").await;
        let officer = app.client_for("wang.fang").await;
        let id = json_body(
            officer
                .get(app.url("/api/v1/auth/me"))
                .send()
                .await
                .unwrap(),
        )
        .await["id"]
            .as_i64()
            .unwrap();

        let short = admin
            .post(app.url(&format!("/api/v1/users/{id}/password")))
            .json(&json!({ "password": "short" }))
            .send()
            .await
            .unwrap();
        assert_error(
            short,
            StatusCode::UNPROCESSABLE_ENTITY,
            "password_too_short",
        )
        .await;

        let reset = admin
            .post(app.url(&format!("/api/v1/users/{id}/password")))
            .json(&json!({ "password": "brand-new-password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status(), StatusCode::NO_CONTENT);
        let me = officer
            .get(app.url("/api/v1/auth/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
        let (_, old) = app.login("wang.fang", DEMO_PASSWORD).await;
        assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
        let (_, new) = app.login("wang.fang", "brand-new-password").await;
        assert_eq!(new.status(), StatusCode::OK);
        app
    })
    .await;
}

#[tokio::test]
async fn supervisors_read_the_audit_log_and_officers_do_not() {
    on_both(|app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let ok = supervisor
            .get(app.url("/api/v1/audit/user/1"))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        for username in ["wang.fang", "vc.xiaodian", "edu.bureau"] {
            let client = app.client_for(username).await;
            let response = client
                .get(app.url("/api/v1/audit/user/1"))
                .send()
                .await
                .unwrap();
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        app
    })
    .await;
}
