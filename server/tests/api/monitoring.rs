//! `/metrics`: request counts and latencies by route template, the pool and
//! the scheduled backup's results; open to this machine or a token only.

use reqwest::StatusCode;
use server::config::{AppConfig, BackupSchedule};
use server::metrics::Metrics;
use server::service::backup;

use crate::helpers::{get_json, on_both, spawn_app_with, Backend};

#[tokio::test]
async fn metrics_count_requests_by_route_template_never_by_raw_path() {
    on_both(|app| async move {
        app.load_demo().await;
        // A supervisor may open every case (an officer is refused a child's case of a colleague).
        let officer = app.client_for("zhang.jian").await;
        for id in [1, 2, 3] {
            officer
                .get(app.url(&format!("/api/v1/cases/{id}")))
                .send()
                .await
                .unwrap();
        }
        get_json(&officer, app.url("/api/v1/cases?q=%E5%BC%A0")).await;
        let text = app
            .client()
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(text.status(), StatusCode::OK);
        assert!(text.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        let text = text.text().await.unwrap();
        assert!(
            text.contains(
                "jiuzhu_http_requests_total{method=\"GET\",route=\"/api/v1/cases/{id}\",status=\"200\"} 3"
            ),
            "{text}"
        );
        assert!(text.contains("jiuzhu_http_request_duration_seconds_count{route=\"/api/v1/cases/{id}\"} 3"));
        assert!(text.contains("jiuzhu_http_request_duration_seconds_bucket{route=\"/api/v1/auth/login\",le=\"+Inf\"}"));
        assert!(text.contains("jiuzhu_db_pool_max_connections{backend="));
        // Search terms and ids stay out.
        assert!(!text.contains("/api/v1/cases/1\""));
        assert!(!text.contains('张'));
        app
    })
    .await;
}

#[tokio::test]
async fn metrics_are_closed_to_proxied_requests_unless_the_token_is_given() {
    let config = AppConfig {
        metrics_token: Some("scrape-secret-0123".into()),
        ..AppConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    let client = app.client();
    let via_proxy = client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(via_proxy.status(), StatusCode::NOT_FOUND);
    let wrong = client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .bearer_auth("scrape-secret-0124")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let right = client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .bearer_auth("scrape-secret-0123")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    app.shutdown().await;
}

#[tokio::test]
async fn a_scheduled_backup_is_written_pruned_and_reported() {
    on_both(|app| async move {
        app.load_demo().await;
        let dir = tempfile::tempdir().unwrap();
        let schedule = BackupSchedule {
            dir: dir.path().join("nightly"),
            interval: std::time::Duration::from_secs(86_400),
            keep: 1,
        };
        let metrics = Metrics::default();
        let first = backup::scheduled_once(&app.db, &schedule, &metrics)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let second = backup::scheduled_once(&app.db, &schedule, &metrics)
            .await
            .unwrap();
        assert_ne!(first, second);
        assert!(!first.exists(), "the older backup was pruned");
        assert!(second.exists());
        // A directory that cannot be made counts as a failed run.
        let blocked = BackupSchedule {
            dir: second.join("not-a-dir"),
            ..schedule.clone()
        };
        assert!(backup::scheduled_once(&app.db, &blocked, &metrics)
            .await
            .is_err());
        let text = metrics.render(&app.db);
        assert!(
            text.contains("jiuzhu_job_runs_total{job=\"backup\",result=\"ok\"} 2"),
            "{text}"
        );
        assert!(text.contains("jiuzhu_job_runs_total{job=\"backup\",result=\"error\"} 1"));
        assert!(text.contains("jiuzhu_job_last_success_timestamp_seconds{job=\"backup\"}"));
        app
    })
    .await;
}
