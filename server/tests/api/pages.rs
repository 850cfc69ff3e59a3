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
