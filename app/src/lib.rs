//! Jiuzhu's user interface, written once with Leptos: rendered to HTML on the
//! server (`ssr`) and hydrated in the browser (`hydrate`).

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod i18n;
pub mod pages;
pub mod routes;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use i18n::{initial_lang, provide_i18n, Key};
use pages::{login::LoginPage, not_found::NotFound};
use routes::*;

/// The Content-Security-Policy of a page: scripts only from this origin or
/// carrying this response's nonce (Leptos puts it on its hydration and
/// resource scripts), WebAssembly allowed to compile, but no `eval`; nothing
/// may frame the page. Photos shown before upload are `blob:` URLs.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
         font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(&nonce)) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    let lang = initial_lang();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <HydrationScript options/>
                // What the offline queues share (not inline: CSP); before them.
                <script src="/queue.js" defer nonce=leptos::nonce::use_nonce()></script>
                // The offline visit queue and the service worker's registration.
                <script src="/visits.js" defer nonce=leptos::nonce::use_nonce()></script>
                // The offline queue of case fact edits.
                <script src="/facts.js" defer nonce=leptos::nonce::use_nonce()></script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Loads the WASM and hydrates the page once the browser has painted the
/// server-rendered HTML (after `load`, on the next frame). Leptos's own
/// `HydrationScripts` preloads the main module and every file of the page's
/// split from the head: the page is readable as soon as it is painted either
/// way, but a phone on a slow link then downloads the WASM before it paints,
/// and Lighthouse's largest-contentful-paint counts every download that ended
/// before that paint. The module is started in one task and hydrates the page
/// in the next, so neither blocks a tap for long (see `components/deferred.rs`).
/// It then announces `jiuzhu:hydrated`, on which `public/visits.js` registers
/// the service worker.
#[component]
fn HydrationScript(options: LeptosOptions) -> impl IntoView {
    let pkg = format!("/{}", options.site_pkg_dir);
    let js = format!("{pkg}/{}.js", options.output_name);
    // cargo-leptos names the WASM after the crate unless it set the output name.
    let wasm_suffix = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
        ""
    } else {
        "_bg"
    };
    let wasm = format!("{pkg}/{}{wasm_suffix}.wasm", options.output_name);
    let script = format!(
        "const hydrate = () => import({js:?}).then((m) => m.default({{ module_or_path: {wasm:?} }})\n\
         .then(() => new Promise((resume) => setTimeout(resume))).then(() => m.hydrate()))\n\
         .finally(() => dispatchEvent(new Event('jiuzhu:hydrated')));\n\
         if (document.readyState === 'complete') hydrate();\n\
         else addEventListener('load', () => requestAnimationFrame(() => setTimeout(hydrate)));"
    );
    view! { <script type="module" nonce=leptos::nonce::use_nonce()>{script}</script> }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = provide_i18n();
    // Plain strings, not closures: leptos_meta reads the title after rendering,
    // outside the reactive arena, where reading a signal panics. The browser
    // updates document.title itself when the language changes (I18n::switch_to).
    let lang = i18n.lang_untracked();
    components::layout::provide_me();

    view! {
        <Stylesheet id="leptos" href="/pkg/jiuzhu.css"/>
        <Link rel="manifest" href="/manifest.webmanifest"/>
        <Link rel="icon" href="/icons/icon.svg" type_="image/svg+xml"/>
        <Link rel="apple-touch-icon" href="/icons/icon-192.png"/>
        <Meta name="theme-color" content="#b3261e"/>
        <Meta name="description" content=lang.text(Key::AppTagline)/>
        <Title text=i18n::page_title(lang)/>
        // Pages render completely before they are sent (SsrMode::Async), so a
        // redirect to the login page or a 404 status reaches the HTTP response.
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/cases") view={Lazy::<CasesRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/cases/:id") view={Lazy::<CaseRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/cases/:id/print") view={Lazy::<CasePrintRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/cases/:id/reads") view={Lazy::<CaseReadsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/access") view={Lazy::<AccessGrantsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/leads") view={Lazy::<LeadsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/leads/new") view={Lazy::<NewLeadRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/screening") view={Lazy::<ScreeningRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/follow-ups") view={Lazy::<FollowUpsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/referrals") view={Lazy::<ReferralsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/money") view={Lazy::<MoneyListRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/money/:id") view={Lazy::<CaseMoneyRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/stats") view={Lazy::<StatsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/stats/bulletin") view={Lazy::<BulletinRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/agencies") view={Lazy::<AgenciesRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// Browser entry point: attaches to the server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Async hydration: a lazily loaded route waits for its chunk before it hydrates.
    components::deferred::hydrate_page(App);
}
