//! The typed client of the REST API — the front end's only way to the data.
//!
//! In the browser it sends HTTP requests. During server-side rendering the
//! same functions hand the request to the server's router in-process through
//! [`Backend`], with the visitor's cookies, so pages and API share one contract.

use domain::api::{
    AcceptLead, Agency, AgencyServices, CaseDetail, CasePage, CaseReferrals, DeclineGreenChannel,
    DeclineLead, DuplicateHit, ErrorBody, LeadView, LoginRequest, Me, NamedRef, NewAgency,
    NewConsent, NewLead, NewReferral, NewUser, ReferralText, ReferralView, ResetPassword,
    TransitionRequest, UserView, Village,
};
use domain::referral::ReferralAction;
use domain::screening::{
    ColumnMapping, DismissFlag, FlagToLead, ScreeningFlagView, ScreeningUpload,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub mod money;
pub mod privacy;

/// A failed API call, as the front end shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ApiError {
    /// HTTP status; 0 when the network failed.
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The request field at fault, for validation errors.
    #[serde(default)]
    pub field: Option<String>,
    /// For `possible_duplicate`: what already exists.
    #[serde(default)]
    pub duplicates: Vec<DuplicateHit>,
}

impl ApiError {
    pub(crate) fn network(message: String) -> ApiError {
        ApiError {
            status: 0,
            code: "network".into(),
            message,
            field: None,
            duplicates: Vec::new(),
        }
    }

    fn from_response(status: u16, body: &[u8]) -> ApiError {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(parsed) => ApiError {
                status,
                code: parsed.error.code,
                message: parsed.error.message,
                field: parsed.error.field,
                duplicates: parsed.error.duplicates.unwrap_or_default(),
            },
            Err(_) => ApiError {
                status,
                code: "unexpected".into(),
                message: format!("HTTP {status}"),
                field: None,
                duplicates: Vec::new(),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

#[cfg(feature = "ssr")]
mod backend {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    #[derive(Clone)]
    pub struct BackendResponse {
        pub status: u16,
        pub body: Vec<u8>,
    }

    /// Implemented by the server: runs an API request in-process.
    pub trait SsrBackend: Send + Sync {
        fn call(
            &self,
            method: http::Method,
            path: String,
            body: Option<String>,
            cookie: Option<String>,
        ) -> Pin<Box<dyn Future<Output = BackendResponse> + Send>>;
    }

    /// Provided as context by the server for every rendered page.
    #[derive(Clone)]
    pub struct Backend(pub Arc<dyn SsrBackend>);
}
#[cfg(feature = "ssr")]
pub use backend::{Backend, BackendResponse, SsrBackend};

/// Sends one request and decodes its answer.
fn request<T: DeserializeOwned + 'static>(
    method: Method,
    path: String,
    body: Option<String>,
) -> impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static {
    let sent = send(method, path, body);
    async move {
        let (status, body) = sent.await?;
        decode(status, &body)
    }
}

/// Sends a GET and keeps a successful answer's JSON undecoded (see [`Undecoded`]);
/// any failure is [`Undecoded::absent`].
fn request_undecoded<T: DeserializeOwned + 'static>(
    path: String,
) -> impl std::future::Future<Output = Undecoded<T>> + Send + 'static {
    let sent = send(Method::Get, path, None);
    async move {
        match sent.await {
            Ok((status, body)) if (200..300).contains(&status) => String::from_utf8(body)
                .map(Undecoded::new)
                .unwrap_or_else(|_| Undecoded::absent()),
            _ => Undecoded::absent(),
        }
    }
}

/// Sends one request and returns its status and body. Context is read now,
/// before the future first runs, because it is only reachable while the
/// calling component is being built.
fn send(
    method: Method,
    path: String,
    body: Option<String>,
) -> impl std::future::Future<Output = Result<(u16, Vec<u8>), ApiError>> + Send + 'static {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        let backend = use_context::<Backend>();
        let cookie = use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .headers
                .get(http::header::COOKIE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
        async move {
            let Some(backend) = backend else {
                return Err(ApiError::network("no backend during rendering".into()));
            };
            let method = match method {
                Method::Get => http::Method::GET,
                Method::Post => http::Method::POST,
                Method::Put => http::Method::PUT,
            };
            let response = backend.0.call(method, path, body, cookie).await;
            Ok((response.status, response.body))
        }
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        send_wrapper::SendWrapper::new(async move {
            let origin = web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default();
            let client = reqwest::Client::new();
            let url = format!("{origin}{path}");
            let builder = match method {
                Method::Get => client.get(url),
                Method::Post => client.post(url),
                Method::Put => client.put(url),
            };
            let builder = match body {
                Some(body) => builder
                    .header("content-type", "application/json")
                    .body(body),
                None => builder,
            };
            let response = builder
                .send()
                .await
                .map_err(|e| ApiError::network(e.to_string()))?;
            let status = response.status().as_u16();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| ApiError::network(e.to_string()))?;
            Ok((status, bytes.to_vec()))
        })
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = (method, path, body);
        async { Err(ApiError::network("no transport in this build".into())) }
    }
}

/// An API answer kept as its JSON text and decoded only where it is shown.
///
/// Why: a resource's value is decoded from the server's HTML when the
/// resource is created, and the case page creates its resources in the task
/// that hydrates the page. Decoding a card's data there compiled and ran its
/// decoder in that one long task; kept as text (which a resource carries with
/// `Resource::new_str`), each card decodes its own data in its own task
/// (`Deferred`). Empty text means the data could not be had.
pub struct Undecoded<T> {
    json: String,
    of: std::marker::PhantomData<fn() -> T>,
}

impl<T> Undecoded<T> {
    pub fn new(json: String) -> Self {
        Undecoded {
            json,
            of: std::marker::PhantomData,
        }
    }

    /// Nothing to show: the request failed or was refused.
    pub fn absent() -> Self {
        Undecoded::new(String::new())
    }

    pub fn is_present(&self) -> bool {
        !self.json.is_empty()
    }
}

impl<T: DeserializeOwned> Undecoded<T> {
    /// The data, or `None` when absent or not what the API documents.
    pub fn decode(&self) -> Option<T> {
        if self.is_present() {
            serde_json::from_str(&self.json).ok()
        } else {
            None
        }
    }
}

// By hand: derives would ask the same of `T`, which the text does not hold.
impl<T> Clone for Undecoded<T> {
    fn clone(&self) -> Self {
        Undecoded::new(self.json.clone())
    }
}

impl<T> PartialEq for Undecoded<T> {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}

impl<T> std::fmt::Debug for Undecoded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Undecoded({} bytes)", self.json.len())
    }
}

/// How `Resource::new_str` carries it from the server's HTML: as the text itself.
impl<T> std::fmt::Display for Undecoded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.json)
    }
}

impl<T> std::str::FromStr for Undecoded<T> {
    type Err = std::convert::Infallible;

    fn from_str(json: &str) -> Result<Self, Self::Err> {
        Ok(Undecoded::new(json.to_string()))
    }
}

fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        // 204 No Content decodes as JSON null, i.e. `()`.
        let body: &[u8] = if body.is_empty() { b"null" } else { body };
        serde_json::from_slice(body).map_err(|e| ApiError {
            status,
            code: "unexpected".into(),
            message: e.to_string(),
            field: None,
            duplicates: Vec::new(),
        })
    } else {
        Err(ApiError::from_response(status, body))
    }
}

fn json<B: Serialize>(body: &B) -> Option<String> {
    serde_json::to_string(body).ok()
}

pub fn me() -> impl std::future::Future<Output = Result<Me, ApiError>> + Send {
    request(Method::Get, "/api/v1/auth/me".into(), None)
}

pub fn login(
    input: &LoginRequest,
) -> impl std::future::Future<Output = Result<Me, ApiError>> + Send {
    request(Method::Post, "/api/v1/auth/login".into(), json(input))
}

pub fn logout() -> impl std::future::Future<Output = Result<(), ApiError>> + Send {
    request(Method::Post, "/api/v1/auth/logout".into(), None)
}

pub fn list_users() -> impl std::future::Future<Output = Result<Vec<UserView>, ApiError>> + Send {
    request(Method::Get, "/api/v1/users".into(), None)
}

pub fn create_user(
    input: &NewUser,
) -> impl std::future::Future<Output = Result<UserView, ApiError>> + Send {
    request(Method::Post, "/api/v1/users".into(), json(input))
}

pub fn set_user_disabled(
    id: i64,
    disabled: bool,
) -> impl std::future::Future<Output = Result<UserView, ApiError>> + Send {
    let action = if disabled { "disable" } else { "enable" };
    request(Method::Post, format!("/api/v1/users/{id}/{action}"), None)
}

pub fn reset_password(
    id: i64,
    input: &ResetPassword,
) -> impl std::future::Future<Output = Result<(), ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/users/{id}/password"),
        json(input),
    )
}

pub fn list_villages() -> impl std::future::Future<Output = Result<Vec<Village>, ApiError>> + Send {
    request(Method::Get, "/api/v1/villages".into(), None)
}

pub fn list_agencies() -> impl std::future::Future<Output = Result<Vec<Agency>, ApiError>> + Send {
    request(Method::Get, "/api/v1/agencies".into(), None)
}

/// The agencies, for a form on a page that decodes them later ([`Undecoded`]).
pub fn list_agencies_undecoded() -> impl std::future::Future<Output = Undecoded<Vec<Agency>>> + Send
{
    request_undecoded("/api/v1/agencies".into())
}

pub fn create_agency(
    input: &NewAgency,
) -> impl std::future::Future<Output = Result<Agency, ApiError>> + Send {
    request(Method::Post, "/api/v1/agencies".into(), json(input))
}

pub fn set_agency_services(
    id: i64,
    input: &AgencyServices,
) -> impl std::future::Future<Output = Result<Agency, ApiError>> + Send {
    request(
        Method::Put,
        format!("/api/v1/agencies/{id}/services"),
        json(input),
    )
}

/// `query` is the URL query without `?`, e.g. `mine=true&state=proposed`.
pub fn list_cases(
    query: String,
) -> impl std::future::Future<Output = Result<CasePage, ApiError>> + Send {
    request(Method::Get, format!("/api/v1/cases?{query}"), None)
}

pub fn get_case(id: i64) -> impl std::future::Future<Output = Result<CaseDetail, ApiError>> + Send {
    request(Method::Get, format!("/api/v1/cases/{id}"), None)
}

pub fn transition_case(
    id: i64,
    input: &TransitionRequest,
) -> impl std::future::Future<Output = Result<CaseDetail, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{id}/transitions"),
        json(input),
    )
}

pub fn confirm_green_channel(
    id: i64,
) -> impl std::future::Future<Output = Result<CaseDetail, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{id}/green-channel/confirm"),
        None,
    )
}

pub fn decline_green_channel(
    id: i64,
    input: &DeclineGreenChannel,
) -> impl std::future::Future<Output = Result<CaseDetail, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{id}/green-channel/decline"),
        json(input),
    )
}

pub fn list_officers() -> impl std::future::Future<Output = Result<Vec<NamedRef>, ApiError>> + Send
{
    request(Method::Get, "/api/v1/officers".into(), None)
}

/// `query` names the period and scope, e.g. `year=2025&scope=village&scope_id=3`.
pub fn get_stats(
    query: String,
) -> impl std::future::Future<Output = Result<domain::api::stats::StatsView, ApiError>> + Send {
    request(Method::Get, format!("/api/v1/stats?{query}"), None)
}

pub fn case_years() -> impl std::future::Future<Output = Result<Vec<i64>, ApiError>> + Send {
    request(Method::Get, "/api/v1/case-years".into(), None)
}

/// `query` is the URL query without `?`, e.g. `status=open&channel=hotline_12309`.
pub fn list_leads(
    query: String,
) -> impl std::future::Future<Output = Result<Vec<LeadView>, ApiError>> + Send {
    request(Method::Get, format!("/api/v1/leads?{query}"), None)
}

pub fn create_lead(
    input: &NewLead,
) -> impl std::future::Future<Output = Result<LeadView, ApiError>> + Send {
    request(Method::Post, "/api/v1/leads".into(), json(input))
}

pub fn accept_lead(
    id: i64,
    input: &AcceptLead,
) -> impl std::future::Future<Output = Result<CaseDetail, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/leads/{id}/accept"),
        json(input),
    )
}

pub fn decline_lead(
    id: i64,
    input: &DeclineLead,
) -> impl std::future::Future<Output = Result<LeadView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/leads/{id}/decline"),
        json(input),
    )
}

/// Sends a file's bytes as the request body. Only the browser uploads files;
/// during server rendering there is none to send.
fn upload<T: DeserializeOwned + 'static>(
    path: String,
    bytes: Vec<u8>,
) -> impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static {
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        send_wrapper::SendWrapper::new(async move {
            let origin = web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default();
            let response = reqwest::Client::new()
                .post(format!("{origin}{path}"))
                .header("content-type", "application/octet-stream")
                .body(bytes)
                .send()
                .await
                .map_err(|e| ApiError::network(e.to_string()))?;
            let status = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map_err(|e| ApiError::network(e.to_string()))?;
            decode(status, &body)
        })
    }
    #[cfg(not(all(feature = "hydrate", not(feature = "ssr"))))]
    {
        let _ = (path, bytes);
        async {
            Err(ApiError::network(
                "files are uploaded from the browser".into(),
            ))
        }
    }
}

pub fn upload_screening(
    file_name: &str,
    bytes: Vec<u8>,
) -> impl std::future::Future<Output = Result<ScreeningUpload, ApiError>> + Send {
    upload(
        format!(
            "/api/v1/screening/imports?file_name={}",
            crate::components::labels::encode(file_name)
        ),
        bytes,
    )
}

pub fn choose_screening_mapping(
    import_id: i64,
    mapping: &ColumnMapping,
) -> impl std::future::Future<Output = Result<ScreeningUpload, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/screening/imports/{import_id}/mapping"),
        json(mapping),
    )
}

pub fn list_screening_flags(
    status: &str,
) -> impl std::future::Future<Output = Result<Vec<ScreeningFlagView>, ApiError>> + Send {
    request(
        Method::Get,
        format!("/api/v1/screening/flags?status={status}"),
        None,
    )
}

pub fn screening_flag_to_lead(
    id: i64,
    input: &FlagToLead,
) -> impl std::future::Future<Output = Result<LeadView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/screening/flags/{id}/lead"),
        json(input),
    )
}

pub fn dismiss_screening_flag(
    id: i64,
    input: &DismissFlag,
) -> impl std::future::Future<Output = Result<ScreeningFlagView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/screening/flags/{id}/dismiss"),
        json(input),
    )
}

pub fn case_referrals(
    case_id: i64,
) -> impl std::future::Future<Output = Undecoded<CaseReferrals>> + Send {
    request_undecoded(format!("/api/v1/cases/{case_id}/referrals"))
}

pub fn record_consent(
    case_id: i64,
    input: &NewConsent,
) -> impl std::future::Future<Output = Result<CaseReferrals, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{case_id}/consents"),
        json(input),
    )
}

pub fn create_referral(
    case_id: i64,
    input: &NewReferral,
) -> impl std::future::Future<Output = Result<ReferralView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/cases/{case_id}/referrals"),
        json(input),
    )
}

/// `state` (empty: all) and `overdue_only` narrow the list.
pub fn get_referral(
    id: i64,
) -> impl std::future::Future<Output = Result<ReferralView, ApiError>> + Send {
    request(Method::Get, format!("/api/v1/referrals/{id}"), None)
}

pub fn list_referrals(
    state: &str,
    overdue_only: bool,
) -> impl std::future::Future<Output = Result<Vec<ReferralView>, ApiError>> + Send {
    request(
        Method::Get,
        format!("/api/v1/referrals?state={state}&overdue={overdue_only}"),
        None,
    )
}

/// Accept (no text), decline (reason), progress (note), complete (outcome) or withdraw (reason).
pub fn referral_action(
    id: i64,
    action: ReferralAction,
    text: Option<String>,
) -> impl std::future::Future<Output = Result<ReferralView, ApiError>> + Send {
    let body = text.and_then(|text| json(&ReferralText { text }));
    request(
        Method::Post,
        format!("/api/v1/referrals/{id}/{}", action.as_str()),
        body,
    )
}

// ---- Field visits ------------------------------------------------------------
// Visits are written by `public/visits.js` (an offline queue in IndexedDB that
// PUTs each record under the id the phone made); the pages only read them.

pub fn case_visits(
    case_id: i64,
) -> impl std::future::Future<Output = Undecoded<domain::visit::CaseVisits>> + Send {
    request_undecoded(format!("/api/v1/cases/{case_id}/visits"))
}

pub fn due_follow_ups(
) -> impl std::future::Future<Output = Result<Vec<domain::visit::FollowUpItem>, ApiError>> + Send {
    request(Method::Get, "/api/v1/follow-ups".into(), None)
}

// ---- Case facts ----------------------------------------------------------------
// Edits are sent by `public/facts.js` (an offline queue in IndexedDB that PUTs
// each edit under the id the phone made); the pages read facts and settle conflicts.

pub fn case_facts(
    case_id: i64,
) -> impl std::future::Future<Output = Undecoded<domain::facts::CaseFactsView>> + Send {
    request_undecoded(format!("/api/v1/cases/{case_id}/facts"))
}

pub fn resolve_fact_conflict(
    id: i64,
    choice: domain::facts::FactChoice,
) -> impl std::future::Future<Output = Result<domain::facts::FactConflictView, ApiError>> + Send {
    request(
        Method::Post,
        format!("/api/v1/fact-conflicts/{id}/resolve"),
        json(&domain::facts::ResolveConflict { choice }),
    )
}

/// Leads and cases about the same person, for the new-lead form's warning.
pub fn person_matches(
    id_number: Option<String>,
    name: Option<String>,
    village_id: Option<i64>,
) -> impl std::future::Future<Output = Result<Vec<domain::facts::PersonMatch>, ApiError>> + Send {
    let mut query = Vec::new();
    if let Some(id) = id_number {
        query.push(format!(
            "id_number={}",
            crate::components::labels::encode(&id)
        ));
    }
    if let Some(name) = name {
        query.push(format!("name={}", crate::components::labels::encode(&name)));
    }
    if let Some(v) = village_id {
        query.push(format!("village_id={v}"));
    }
    request(
        Method::Get,
        format!("/api/v1/people/matches?{}", query.join("&")),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::Undecoded;
    use domain::api::NamedRef;

    #[test]
    fn undecoded_text_survives_the_trip_through_the_page_and_decodes_there() {
        let json = r#"{"id":7,"name":"小甸村"}"#;
        let sent: Undecoded<NamedRef> = Undecoded::new(json.to_string());
        // What `Resource::new_str` does: written with Display, read with FromStr.
        let received: Undecoded<NamedRef> = sent.to_string().parse().unwrap();
        assert_eq!(received, sent);
        let village = received.decode().expect("decodes");
        assert_eq!((village.id, village.name.as_str()), (7, "小甸村"));
    }

    #[test]
    fn absent_or_malformed_text_decodes_to_nothing() {
        let absent = Undecoded::<NamedRef>::absent();
        assert!(!absent.is_present());
        assert_eq!(absent.decode(), None);
        let malformed = Undecoded::<NamedRef>::new(r#"{"id":"seven"}"#.into());
        assert!(malformed.is_present());
        assert_eq!(malformed.decode(), None);
    }
}
