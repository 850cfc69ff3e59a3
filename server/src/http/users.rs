//! Account administration (admins only).

use axum::extract::State;
use axum::http::StatusCode;
use domain::api::{ErrorBody, NewUser, ResetPassword, UserView};

use super::error::ApiResult;
use super::extract::{AppJson, AppPath};
use super::AppState;
use crate::service::{users, Actor};

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses(
        (status = 200, body = Vec<UserView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<AppJson<Vec<UserView>>> {
    Ok(AppJson(users::list(&state.db, &actor).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, body = UserView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(input): AppJson<NewUser>,
) -> ApiResult<(StatusCode, AppJson<UserView>)> {
    let user = users::create(&state.db, Some(&actor), input).await?;
    Ok((StatusCode::CREATED, AppJson(user)))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Cannot disable yourself", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn disable_user(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<UserView>> {
    Ok(AppJson(
        users::set_disabled(&state.db, &state.sessions, &actor, id, true).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn enable_user(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
) -> ApiResult<AppJson<UserView>> {
    Ok(AppJson(
        users::set_disabled(&state.db, &state.sessions, &actor, id, false).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = ResetPassword,
    responses(
        (status = 204, description = "Password set; the user's sessions are ended"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn reset_password(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ResetPassword>,
) -> ApiResult<StatusCode> {
    users::reset_password(&state.db, &state.sessions, &actor, id, input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
