//! Building and running the application.

use std::net::SocketAddr;
use std::sync::Arc;

use leptos::config::Env;
use leptos::prelude::LeptosOptions;
use tokio::net::TcpListener;

use crate::config::{prepare_sqlite_dir, BackupSchedule, Settings};
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::service::backup;
use crate::service::session_cache::SessionCache;
use crate::storage::Db;

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: Db,
    metrics: Arc<Metrics>,
    backup: Option<BackupSchedule>,
}

impl Application {
    /// Connects to the database, migrates it and binds the address (port 0
    /// picks a free one, which tests use).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        prepare_sqlite_dir(&settings.database_url)?;
        let db = Db::connect(&settings.database_url).await?;
        db.migrate().await?;
        crate::service::rollup::ensure_current(&db, &settings.http.follow_up_days).await?;
        Self::build_with_db(settings, db).await
    }

    pub async fn build_with_db(settings: Settings, db: Db) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.addr).await?;
        let local_addr = listener.local_addr()?;
        let leptos_options = LeptosOptions::builder()
            .output_name("jiuzhu")
            .site_root(settings.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .env(Env::PROD)
            .build();
        let metrics = Arc::new(Metrics::default());
        let state = AppState {
            db: db.clone(),
            config: Arc::new(settings.http.clone()),
            leptos_options,
            metrics: metrics.clone(),
            sessions: SessionCache::for_database(&db, &settings.database_url),
        };
        Ok(Application {
            listener,
            router: http::router(state),
            db,
            metrics,
            backup: settings.backup,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        // The listener is bound; its address is known.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "serving");
        let scheduled = self.backup.clone().map(|schedule| {
            tokio::spawn(backup::run_schedule(
                self.db.clone(),
                schedule,
                self.metrics.clone(),
            ))
        });
        // The peer address tells /metrics whether the scraper is on this machine.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(stop)
            .await?;
        if let Some(task) = scheduled {
            task.abort();
        }
        self.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
