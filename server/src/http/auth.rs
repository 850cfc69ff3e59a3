//! Login, logout and the current user.

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use domain::api::{ErrorBody, LoginRequest, Me};

use super::error::{ApiError, ApiResult};
use super::extract::{cookie, AppJson, SESSION_COOKIE};
use super::AppState;
use crate::service::{auth, Actor};

/// Logs in and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = Me),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 422, description = "Malformed request", body = ErrorBody),
        (status = 429, description = "Too many failed logins; see Retry-After", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(input): AppJson<LoginRequest>,
) -> ApiResult<Response> {
    let session = auth::login(&state.db, &input.username, &input.password).await?;
    let secure = state.config.secure_cookies || forwarded_https(&headers);
    let cookie = session_cookie(&session.token, auth::SESSION_TTL_MS / 1000, secure);
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(session.me)).into_response())
}

/// The login form sent by the browser itself, before the page's script has
/// taken it over (a slow link, or scripts off): logs in as [`login`] does and
/// answers with a redirect, home on success, back to the form with the error's
/// code otherwise. Not part of the REST API, so not in its document.
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    input: Result<Form<LoginRequest>, FormRejection>,
) -> Response {
    // A browser always sends both fields; anything else is told what is missing.
    let Ok(Form(input)) = input else {
        return back_to_login_form("required");
    };
    match auth::login(&state.db, &input.username, &input.password).await {
        Ok(session) => {
            let secure = state.config.secure_cookies || forwarded_https(&headers);
            let cookie = session_cookie(&session.token, auth::SESSION_TTL_MS / 1000, secure);
            (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, cookie),
                    (header::LOCATION, HeaderValue::from_static("/")),
                ],
            )
                .into_response()
        }
        Err(e) => back_to_login_form(ApiError::from(e).code),
    }
}

/// Sends the browser back to the login page, which shows the error's text.
fn back_to_login_form(code: &'static str) -> Response {
    // Our codes are ASCII letters and underscores: always a valid header value.
    let location = HeaderValue::from_str(&format!("/login?error={code}"))
        .unwrap_or_else(|_| HeaderValue::from_static("/login"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Ends the session and clears the cookie. Succeeds also without a session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out")))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        auth::logout(&state.db, &state.sessions, token).await?;
    }
    let secure = state.config.secure_cookies || forwarded_https(&headers);
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie("", 0, secure))],
    )
        .into_response())
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The logged-in user", body = Me),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn me(State(state): State<AppState>, actor: Actor) -> ApiResult<AppJson<Me>> {
    Ok(AppJson(auth::me(&state.db, actor.user_id).await?))
}

fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    );
    // The token is base64url, so the header value is always valid ASCII.
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("jiuzhu_session=; Max-Age=0"))
}

/// Behind a TLS-terminating proxy the request arrives as plain HTTP.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}
