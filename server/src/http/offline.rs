//! The service worker script (`/sw.js`), stamped with the build it belongs to.
//!
//! `public/sw.js` carries the placeholder `__JIUZHU_BUILD__`; it is replaced
//! with a digest of the built front end (`pkg/`), so a new deploy is a new
//! worker, which caches the new assets under a new name and drops the old.
//! `/*__JIUZHU_PKG_URLS__*/` becomes the list of those files for the worker
//! to cache on install: with `--split` the pages are chunks of their own, and
//! an officer must be able to open offline a page never opened online.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const BUILD_PLACEHOLDER: &str = "__JIUZHU_BUILD__";
const PKG_URLS_PLACEHOLDER: &str = "/*__JIUZHU_PKG_URLS__*/";

/// The stamped script, read once at start; `None` when the site has no `sw.js`.
#[derive(Clone)]
pub struct ServiceWorker(Option<Arc<String>>);

impl ServiceWorker {
    pub fn load(site_root: &Path, pkg_dir: &Path) -> Self {
        let Ok(script) = std::fs::read_to_string(site_root.join("sw.js")) else {
            return ServiceWorker(None);
        };
        let files = pkg_files(pkg_dir);
        let urls: Vec<String> = files
            .iter()
            .filter_map(|path| path.file_name()?.to_str())
            .map(|name| format!("'/pkg/{name}'"))
            .collect();
        ServiceWorker(Some(Arc::new(
            script
                .replace(BUILD_PLACEHOLDER, &build_tag(&files))
                .replace(PKG_URLS_PLACEHOLDER, &urls.join(", ")),
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

/// The built front end's files, sorted by name; not the precompressed copies
/// (`.br`, `.gz`), which the server picks itself for a request of the original.
fn pkg_files(pkg_dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(pkg_dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|path| {
        path.is_file() && !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"))
    });
    files.sort();
    files
}

/// A digest of the files' names and bytes, 16 hex digits.
fn build_tag(files: &[PathBuf]) -> String {
    let mut hasher = Sha256::new();
    for path in files {
        if let Ok(bytes) = std::fs::read(path) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn script(worker: &ServiceWorker) -> String {
        worker.0.as_deref().cloned().expect("the site has sw.js")
    }

    #[test]
    fn the_worker_is_stamped_with_the_build_and_lists_every_built_file_but_the_compressed_copies() {
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        std::fs::write(
            site.path().join("sw.js"),
            "const BUILD = '__JIUZHU_BUILD__';\nconst PKG_URLS = [/*__JIUZHU_PKG_URLS__*/];\n",
        )
        .unwrap();
        for (name, bytes) in [
            ("jiuzhu.wasm", "main"),
            ("jiuzhu.wasm.br", "main, compressed"),
            ("jiuzhu.js", "loader"),
            ("__wasm_split.js", "split loader"),
            ("cases_route_view.wasm", "a page"),
            ("cases_route_view.wasm.gz", "a page, compressed"),
        ] {
            std::fs::write(pkg.join(name), bytes).unwrap();
        }

        let first = script(&ServiceWorker::load(site.path(), &pkg));
        assert!(
            first.contains(
                "const PKG_URLS = ['/pkg/__wasm_split.js', '/pkg/cases_route_view.wasm', \
                 '/pkg/jiuzhu.js', '/pkg/jiuzhu.wasm'];"
            ),
            "{first}"
        );
        assert!(!first.contains("__JIUZHU_BUILD__"), "{first}");

        // A changed page chunk is a new build, hence a new worker.
        std::fs::write(pkg.join("cases_route_view.wasm"), "the page, changed").unwrap();
        let second = script(&ServiceWorker::load(site.path(), &pkg));
        assert_ne!(first, second);
        assert_eq!(second.lines().nth(1), first.lines().nth(1));
    }
}
