//! The HTTP surface: the REST API under `/api/v1`, its OpenAPI document, the
//! probes, the server-rendered pages and the static assets.

pub mod auth;
pub mod cases;
pub mod error;
pub mod exports;
pub mod extract;
pub mod facts;
pub mod metrics;
pub mod money;
pub mod offline;
pub mod privacy;
pub mod reference;
pub mod referrals;
pub mod screening;
pub mod ssr;
pub mod stats;
pub mod users;
pub mod visits;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use domain::api::Health;
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::AppConfig;
use crate::storage::Db;
use error::ApiError;

/// What every handler can reach.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<AppConfig>,
    pub leptos_options: LeptosOptions,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub sessions: Arc<crate::service::session_cache::SessionCache>,
}

/// Largest JSON body the API accepts.
const MAX_JSON_BODY: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "Jiuzhu API", description = "State judicial aid case system (国家司法救助)."),
    modifiers(&SessionCookie),
    tags(
        (name = "auth", description = "Login and sessions"),
        (name = "users", description = "Account administration"),
        (name = "reference", description = "Villages and agencies"),
        (name = "audit", description = "Audit log"),
        (name = "cases", description = "Aid leads and cases"),
        (name = "screening", description = "Screening imported criminal cases for aid leads"),
        (name = "referrals", description = "Consents and referrals to partner agencies (1+N)"),
        (name = "visits", description = "Field visits, their photos and signatures, follow-ups after payment"),
        (name = "facts", description = "A case's facts edited offline, conflicting edits, the same-person check"),
        (name = "money", description = "Aid money: plans, supervision, payments, spending and its confirmation"),
        (name = "privacy", description = "Need to know: break-the-glass, full disclosures, prints, who read a child's file"),
        (name = "stats", description = "Supervisors' statistics and exports"),
        (name = "health", description = "Probes"),
    )
)]
struct ApiDoc;

struct SessionCookie;
impl utoipa::Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "session",
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(extract::SESSION_COOKIE))),
            );
        }
    }
}

/// The API routes and the OpenAPI document generated from them.
fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(users::reset_password))
        .routes(routes!(reference::list_villages))
        .routes(routes!(reference::list_agencies, reference::create_agency))
        .routes(routes!(reference::set_agency_services))
        .routes(routes!(reference::list_audit))
        .routes(routes!(cases::create_lead, cases::list_leads))
        .routes(routes!(cases::get_lead))
        .routes(routes!(cases::accept_lead))
        .routes(routes!(cases::decline_lead))
        .routes(routes!(cases::list_cases))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::transition_case))
        .routes(routes!(cases::confirm_green_channel))
        .routes(routes!(cases::decline_green_channel))
        .routes(routes!(cases::list_officers))
        .routes(routes!(cases::case_years))
        .routes(routes!(stats::get_stats))
        .routes(routes!(exports::export_cases_csv))
        .routes(routes!(exports::export_cases_xlsx))
        .routes(routes!(exports::export_stats_csv))
        .routes(routes!(exports::export_stats_xlsx))
        // Only the upload takes more than the API's 64 KiB: the innermost limit wins.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(screening::upload_import))
                .layer(DefaultBodyLimit::max(screening::MAX_UPLOAD_BYTES)),
        )
        .routes(routes!(screening::get_import))
        .routes(routes!(screening::choose_mapping))
        .routes(routes!(screening::get_mapping))
        .routes(routes!(screening::list_flags))
        .routes(routes!(screening::flag_to_lead))
        .routes(routes!(screening::dismiss_flag))
        .routes(routes!(referrals::record_consent))
        .routes(routes!(
            referrals::case_referrals,
            referrals::create_referral
        ))
        .routes(routes!(referrals::list_referrals))
        .routes(routes!(referrals::get_referral))
        .routes(routes!(referrals::accept_referral))
        .routes(routes!(referrals::decline_referral))
        .routes(routes!(referrals::progress_referral))
        .routes(routes!(referrals::complete_referral))
        .routes(routes!(referrals::withdraw_referral))
        .routes(routes!(visits::case_visits))
        .routes(routes!(visits::record_visit))
        .routes(routes!(visits::get_visit))
        // A photo takes more than the API's 64 KiB: the innermost limit wins.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(visits::upload_visit_file, visits::get_visit_file))
                .layer(DefaultBodyLimit::max(visits::MAX_FILE_BODY)),
        )
        .routes(routes!(visits::due_follow_ups))
        .routes(routes!(facts::case_facts))
        .routes(routes!(facts::edit_facts))
        .routes(routes!(facts::resolve_conflict))
        .routes(routes!(facts::person_matches))
        .routes(routes!(money::get_money))
        .routes(routes!(money::set_plan))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(money::upload_document))
                .layer(DefaultBodyLimit::max(money::MAX_DOCUMENT_UPLOAD)),
        )
        .routes(routes!(money::get_document))
        .routes(routes!(money::record_supervision))
        .routes(routes!(money::pay_installment))
        .routes(routes!(money::override_release))
        .routes(routes!(money::phone_check))
        .routes(routes!(money::record_spending))
        .routes(routes!(money::confirm_spending))
        .routes(routes!(money::query_spending))
        .routes(routes!(money::answer_query))
        .routes(routes!(money::list_supervised))
        .routes(routes!(privacy::break_glass))
        .routes(routes!(privacy::request_disclosure))
        .routes(routes!(privacy::request_export_disclosure))
        .routes(routes!(privacy::print_case))
        .routes(routes!(privacy::list_grants))
        .routes(routes!(privacy::case_reads))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .split_for_parts()
}

/// The OpenAPI document, e.g. for writing it to a file.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().1
}

/// The REST API alone, with its state: used by the server-side renderer to
/// call the API in-process.
fn api_router(state: AppState) -> Router {
    let (routes, openapi) = api_routes();
    let openapi = Arc::new(openapi);
    routes
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let openapi = openapi.clone();
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .route("/api/{*rest}", any(api_not_found))
        .layer(middleware::from_fn(reject_cross_origin_writes))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .with_state(state)
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let api = api_router(state.clone());
    let backend = ssr::ApiBackend::new(api.clone());
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(app::App);
    let pkg_dir = std::path::Path::new(leptos_options.site_root.as_ref())
        .join(leptos_options.site_pkg_dir.as_ref());
    let service_worker = offline::ServiceWorker::load(
        std::path::Path::new(leptos_options.site_root.as_ref()),
        &pkg_dir,
    );

    let pages: Router = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let backend = backend.clone();
                let trusted = state.config.trusted_proxies.clone();
                move || backend.provide_for_request(&trusted)
            },
            {
                let options = leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        // The login form posts here when the page's script has not taken it over.
        .route(
            "/login",
            post(auth::login_form).layer(middleware::from_fn(reject_cross_origin_writes)),
        )
        .route(
            "/sw.js",
            get(move || {
                let service_worker = service_worker.clone();
                async move { service_worker.response() }
            }),
        )
        .nest_service(
            "/pkg",
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let trusted = state.config.trusted_proxies.clone();
                move || backend.provide_for_request(&trusted)
            },
            app::shell,
        ))
        .with_state(state.clone());

    let monitoring: Router = Router::new()
        .route("/metrics", get(metrics::metrics))
        .with_state(state.clone());
    Router::new()
        .merge(monitoring)
        .merge(api)
        .merge(pages)
        // Inside the routes, where the matched route template is known.
        .route_layer(middleware::from_fn_with_state(state, metrics::track))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|request: &Request| {
                        let request_id = request
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        // The path only: query strings may carry search terms such as names.
                        tracing::info_span!("request", %request_id, method = %request.method(), path = %request.uri().path())
                    }),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
                .layer(CompressionLayer::new())
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                ))
                // Pages set their own policy with the response's script nonce
                // (app::shell); everything else (JSON, files) runs nothing.
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
                )),
        )
}

/// Process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
async fn healthz() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
    })
}

/// Database is reachable.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn readyz(State(db): State<Db>) -> Response {
    match db.ping().await {
        Ok(()) => axum::Json(Health {
            status: "ready".into(),
        })
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(Health {
                    status: "database unreachable".into(),
                }),
            )
                .into_response()
        }
    }
}

async fn api_not_found() -> ApiError {
    ApiError::not_found()
}

/// A write whose `Origin` names another site is refused: together with
/// SameSite cookies this stops cross-site request forgery.
async fn reject_cross_origin_writes(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        let origin_host = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(|origin| {
                origin
                    .split_once("://")
                    .map(|(_, rest)| rest)
                    .unwrap_or(origin)
                    .to_string()
            });
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok());
        if let (Some(origin_host), Some(host)) = (origin_host, host) {
            if origin_host != host {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "cross_origin",
                    "cross-origin writes are not allowed",
                )
                .into_response();
            }
        }
    }
    next.run(request).await
}
