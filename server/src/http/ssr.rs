//! Lets the server-side renderer call the REST API in-process: the page asks
//! for `/api/v1/...` exactly as the browser would, with the visitor's cookies,
//! and the request goes through the same router without touching the network.
//!
//! One page render may ask for the same data more than once (the renderer runs
//! a suspended view again when its data arrives, and that builds the page's
//! resources anew). Within one page, identical GETs are answered once: the
//! page costs one query per resource, and a child's case is read-logged once.
//! The visitor's session is looked up once for the page, not once per request
//! (`extract::PageSession`).
//!
//! Every request runs in a task of its own, and callers only wait for its
//! answer. The renderer polls some futures once with a no-op waker and may
//! keep them without polling again; a request driven by such a future (as it
//! was with `futures`' `Shared`, then `tokio`'s `OnceCell`) could stop half
//! way, holding the SQLite write turn of a read-logged GET, while the rest of
//! the page waited for it: page renders hung that way in CI, now and then.
//! A waiter that is dropped or never polled again now holds nothing.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::sync::watch;

use app::api::{Backend, BackendResponse, SsrBackend};
use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use tower::ServiceExt;

use super::extract::{PageSession, SsrClient};

/// The answer of a request running in its own task: `None` until it arrives.
type Answer = watch::Receiver<Option<BackendResponse>>;

/// The GETs of one page render, by path and cookie, answered or on their way.
type PageGets = Arc<Mutex<HashMap<(String, Option<String>), Answer>>>;

#[derive(Clone)]
pub struct ApiBackend {
    router: Router,
    /// The visitor's address, passed on so the read log sees who rendered a page.
    client: Option<IpAddr>,
    gets: PageGets,
    /// Replaced after a write, which may have logged in or out.
    session: Arc<Mutex<PageSession>>,
}

impl ApiBackend {
    pub fn new(router: Router) -> Self {
        Self {
            router,
            client: None,
            gets: PageGets::default(),
            session: Arc::default(),
        }
    }

    /// The same backend, for one page of a visitor at `client`.
    pub fn for_client(&self, client: Option<IpAddr>) -> Self {
        Self {
            router: self.router.clone(),
            client,
            gets: PageGets::default(),
            session: Arc::default(),
        }
    }

    /// Provides the backend for the page being rendered, bound to the address
    /// of the visitor whose request is in context.
    pub fn provide_for_request(&self, trusted_proxies: &[IpAddr]) {
        let client = leptos::prelude::use_context::<axum::http::request::Parts>()
            .and_then(|parts| super::extract::client_ip_of(&parts, trusted_proxies));
        leptos::prelude::provide_context(self.for_client(client).as_context());
    }

    pub fn as_context(&self) -> Backend {
        Backend(Arc::new(self.clone()))
    }

    /// Starts one request through the router in a task of its own.
    fn spawn(
        &self,
        method: Method,
        path: String,
        body: Option<String>,
        cookie: Option<String>,
    ) -> Answer {
        let (tell, answer) = watch::channel(None);
        let request = self.send(method, path, body, cookie);
        tokio::spawn(async move {
            let _ = tell.send(Some(request.await));
        });
        answer
    }

    /// Runs one request through the router.
    fn send(
        &self,
        method: Method,
        path: String,
        body: Option<String>,
        cookie: Option<String>,
    ) -> BoxFuture<'static, BackendResponse> {
        let router = self.router.clone();
        let client = self.client;
        let session = self
            .session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        Box::pin(async move {
            let mut request = Request::builder().method(method).uri(path);
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            if body.is_some() {
                request = request.header(header::CONTENT_TYPE, "application/json");
            }
            // An extension, not a header: nothing from outside can set it.
            request = request.extension(SsrClient(client)).extension(session);
            let request = match request.body(Body::from(body.unwrap_or_default())) {
                Ok(request) => request,
                Err(e) => {
                    return BackendResponse {
                        status: 500,
                        body: e.to_string().into_bytes(),
                    }
                }
            };
            let response = match router.oneshot(request).await {
                Ok(response) => response,
                Err(infallible) => match infallible {},
            };
            let status = response.status().as_u16();
            match axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await {
                Ok(bytes) => BackendResponse {
                    status,
                    body: bytes.to_vec(),
                },
                Err(e) => BackendResponse {
                    status: 500,
                    body: e.to_string().into_bytes(),
                },
            }
        })
    }
}

impl SsrBackend for ApiBackend {
    fn call(
        &self,
        method: Method,
        path: String,
        body: Option<String>,
        cookie: Option<String>,
    ) -> Pin<Box<dyn Future<Output = BackendResponse> + Send>> {
        let mut gets = self
            .gets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if method != Method::GET {
            // A write may change what the page reads next.
            gets.clear();
            drop(gets);
            *self
                .session
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = PageSession::default();
            return wait_for(self.spawn(method, path, body, cookie));
        }
        let key = (path.clone(), cookie.clone());
        let answer = match gets.get(&key) {
            Some(answer) => answer.clone(),
            None => {
                let answer = self.spawn(method, path, body, cookie);
                gets.insert(key, answer.clone());
                answer
            }
        };
        wait_for(answer)
    }
}

/// Waits for a spawned request's answer.
fn wait_for(mut answer: Answer) -> Pin<Box<dyn Future<Output = BackendResponse> + Send>> {
    Box::pin(async move {
        match answer.wait_for(Option::is_some).await {
            Ok(arrived) => arrived.clone().unwrap_or_else(no_answer),
            // The task ended without answering: it panicked.
            Err(_) => no_answer(),
        }
    })
}

fn no_answer() -> BackendResponse {
    BackendResponse {
        status: 500,
        body: b"the in-process request ended without an answer".to_vec(),
    }
}
