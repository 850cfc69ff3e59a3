//! Extractors whose rejections speak our error shape, and the session lookup.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::AppState;
use crate::service::privacy::Client;
use crate::service::{auth, Actor};

pub const SESSION_COOKIE: &str = "jiuzhu_session";

/// `axum::Json`, but bad bodies get our JSON error instead of plain text.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// The raw request body (an uploaded file), with our error shape when it is too large.
pub struct AppBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for AppBytes {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        axum::body::Bytes::from_request(request, state)
            .await
            .map(AppBytes)
            .map_err(ApiError::from)
    }
}

/// `axum::extract::Path` with our error shape.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

/// `axum::extract::Query` with our error shape.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct AppQuery<T>(pub T);

/// The value of one cookie in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The logged-in user; 401 when there is no live session.
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(ApiError::unauthenticated)?;
        let request_id = request_id(parts);
        if let Some(page) = parts.extensions.get::<PageSession>() {
            let actor = page.actor(state, token).await?;
            return Ok(Actor {
                request_id,
                ..actor
            });
        }
        Ok(auth::authenticate(&state.db, &state.sessions, token, request_id).await?)
    }
}

/// The session of one server-rendered page, looked up once for all the
/// in-process API requests the page makes (a case-list page makes four).
/// Put on those requests by the renderer; a request from outside cannot set
/// an extension.
#[derive(Debug, Clone, Default)]
pub struct PageSession(Arc<tokio::sync::OnceCell<(String, Actor)>>);

impl PageSession {
    async fn actor(&self, state: &AppState, token: &str) -> Result<Actor, ApiError> {
        let (known_token, actor) = self
            .0
            .get_or_try_init(|| async {
                let actor = auth::authenticate(&state.db, &state.sessions, token, None).await?;
                Ok::<_, ApiError>((token.to_string(), actor))
            })
            .await?;
        if known_token == token {
            return Ok(actor.clone());
        }
        // A page that logged in or out part way: this is another session.
        Ok(auth::authenticate(&state.db, &state.sessions, token, None).await?)
    }
}

impl OptionalFromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Actor as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(actor) => Ok(Some(actor)),
            Err(e) if e.status == axum::http::StatusCode::UNAUTHORIZED => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The client's address as the server can vouch for it, for the read log and
/// grants. The peer of the TCP connection, unless that peer is a trusted
/// proxy (`--trusted-proxies`): then `X-Forwarded-For` is read from the right,
/// skipping trusted proxies, and the first other address is the client. From
/// anyone else the header is ignored, since a client can send whatever it
/// likes. Pages rendered on the server pass on the visitor's address
/// ([`SsrClient`]), which a request from outside cannot set.
pub struct ClientAddr(pub Client);

/// The visitor's address, put on in-process API requests by the renderer.
#[derive(Debug, Clone, Copy)]
pub struct SsrClient(pub Option<IpAddr>);

/// Works out the client's address from the peer and the forwarding header.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut current = peer?;
    if !trusted.contains(&current) {
        return Some(current);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.into_iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                current = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // A hop that is no address was not written by a proxy we trust.
            Err(_) => break,
        }
    }
    Some(current)
}

/// The client's address of a request as seen by this server.
pub fn client_ip_of(parts: &Parts, trusted: &[IpAddr]) -> Option<IpAddr> {
    if let Some(SsrClient(ip)) = parts.extensions.get::<SsrClient>() {
        return *ip;
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    client_ip(peer, &parts.headers, trusted)
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(Client {
            addr: client_ip_of(parts, &state.config.trusted_proxies).map(|ip| ip.to_string()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().expect("header value"));
        h
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let h = headers("203.0.113.9");
        assert_eq!(
            client_ip(Some(ip("10.0.0.5")), &h, &[]),
            Some(ip("10.0.0.5"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.5")), &h, &[ip("127.0.0.1")]),
            Some(ip("10.0.0.5"))
        );
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), &h, &[ip("127.0.0.1")]),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn a_spoofed_first_hop_is_not_believed() {
        // The client sent "1.2.3.4" itself; nginx appended the real address.
        let h = headers("1.2.3.4, 198.51.100.7");
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), &h, &[ip("127.0.0.1")]),
            Some(ip("198.51.100.7"))
        );
        let h = headers("garbage, 127.0.0.1");
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), &h, &[ip("127.0.0.1")]),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(client_ip(None, &h, &[ip("127.0.0.1")]), None);
    }
}
