//! The service worker script (`/sw.js`), stamped with the build it belongs to.
//!
//! `public/sw.js` carries the placeholder `__JIUZHU_BUILD__`; it is replaced
//! with a digest of the built front end (`pkg/`), so a new deploy is a new
//! worker, which caches the new assets under a new name and drops the old.

use std::path::Path;
use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const PLACEHOLDER: &str = "__JIUZHU_BUILD__";

/// The stamped script, read once at start; `None` when the site has no `sw.js`.
#[derive(Clone)]
pub struct ServiceWorker(Option<Arc<String>>);

impl ServiceWorker {
    pub fn load(site_root: &Path, pkg_dir: &Path) -> Self {
        let Ok(script) = std::fs::read_to_string(site_root.join("sw.js")) else {
            return ServiceWorker(None);
        };
        ServiceWorker(Some(Arc::new(
            script.replace(PLACEHOLDER, &build_tag(pkg_dir)),
        )))
    }

    pub fn response(&self) -> Response {
        match &self.0 {
            Some(script) => (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/javascript; charset=utf-8"),
                    ),
                    // The browser must ask every time, or a deploy would go unnoticed.
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                    // A worker's own policy governs its fetches: same origin only
                    // (a blanket `default-src 'none'` would stop it fetching anything).
                    (
                        header::CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
                    ),
                ],
                script.as_str().to_owned(),
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
}

/// A digest of every file's name and bytes under `pkg/` (sorted), 16 hex digits.
fn build_tag(pkg_dir: &Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(pkg_dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let mut hasher = Sha256::new();
    for path in files {
        if let Ok(bytes) = std::fs::read(&path) {
            hasher.update(path.file_name().unwrap_or_default().as_encoded_bytes());
            hasher.update(&bytes);
        }
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}
