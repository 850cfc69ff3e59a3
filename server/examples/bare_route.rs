//! The ceiling for `server/scripts/bench-http.sh`: one axum route answering a
//! fixed JSON body on the same runtime settings as `jiuzhu serve`, with no
//! middleware, session or database. Our routes are reported against it.
//!
//! cargo run --release -p server --example bare_route -- 127.0.0.1:3999

use axum::{routing::get, Json, Router};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3999".into());
    let app = Router::new().route(
        "/",
        get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
