//! Server-rendered pages: language, login redirect, a home page per role.

use reqwest::StatusCode;

use crate::helpers::on_both;

#[tokio::test]
async fn the_login_page_is_chinese_by_default_and_english_on_request() {
    on_both(|app| async move {
        let zh = app.client().get(app.url("/login")).send().await.unwrap();
        assert_eq!(zh.status(), StatusCode::OK);
        let html = zh.text().await.unwrap();
        assert!(html.contains("<html lang=\"zh-CN\""), "{html}");
        assert!(html.contains("用户名"));
        let en = app
            .client()
            .get(app.url("/login"))
            .header("cookie", "jiuzhu_lang=en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(en.contains("<html lang=\"en\""));
        assert!(en.contains("Username"));
        app
    })
    .await;
}

#[tokio::test]
async fn pages_need_a_login() {
    on_both(|app| async move {
        // As a browser asks: a redirect status needs Accept: text/html.
        let response = app
            .client()
            .get(app.url("/"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(response.headers()["location"], "/login");
        app
    })
    .await;
}

#[tokio::test]
async fn each_role_gets_its_own_home_page_rendered_on_the_server() {
    on_both(|app| async move {
        app.load_demo().await;
        for (username, expected) in [
            ("wang.fang", "承办工作"),
            ("zhang.jian", "审批与统计"),
            ("vc.xiaodian", "所属村：小甸村"),
            ("edu.bureau", "所属单位：县教育局"),
            ("admin", "管理用户"),
        ] {
            let client = app.client_for(username).await;
            let response = client.get(app.url("/")).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let html = response.text().await.unwrap();
            assert!(
                html.contains(expected),
                "{username}: {expected} not in page"
            );
        }
        app
    })
    .await;
}

#[tokio::test]
async fn unknown_pages_are_404() {
    on_both(|app| async move {
        let response = app
            .client()
            .get(app.url("/no/such/page"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        app
    })
    .await;
}

/// Every inline script of a page carries the response's nonce, and the page's
/// policy allows exactly that nonce; nothing may frame a page or an API answer.
#[tokio::test]
async fn pages_allow_only_their_own_nonced_scripts_and_nothing_frames_them() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    app.load_demo().await;
    let officer = app.client_for("wang.fang").await;
    let mut nonces = Vec::new();
    for path in ["/login", "/", "/cases"] {
        let client = if path == "/login" {
            app.client()
        } else {
            officer.clone()
        };
        let page = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(page.headers()["x-content-type-options"], "nosniff");
        assert_eq!(page.headers()["referrer-policy"], "same-origin");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            !csp.contains("'unsafe-eval'") && !csp.contains("'unsafe-inline'"),
            "{csp}"
        );
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in the policy")
            .to_string();
        let html = page.text().await.unwrap();
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path} has scripts");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "every script of {path} carries the nonce"
        );
        nonces.push(nonce);
    }
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a new nonce for every response");
    let api = officer.get(app.url("/api/v1/cases")).send().await.unwrap();
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    );
    app.shutdown().await;
}
