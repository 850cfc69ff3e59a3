//! The login page.

use domain::api::LoginRequest;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::components::layout::{go_to, use_me, LanguageSwitch};
use crate::i18n::{use_i18n, Key};

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let me = use_me();
    // The fields are read when the form is sent, not bound to signals: binding
    // would clear what was typed before the page's script took the form over.
    let username = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    // Set when the form was sent without the script and the server refused it.
    let query = use_query_map();
    let refused = move || query.read().get("error");
    let login = Action::new(|input: &LoginRequest| {
        let input = input.clone();
        async move {
            let result = api::login(&input).await;
            if result.is_ok() {
                go_to("/");
            }
            result
        }
    });
    let error = move || match login.value().get() {
        Some(result) => result.err().map(|e| i18n.error_text(&e.code, &e.message)),
        None => refused().map(|code| i18n.error_text(&code, "")),
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |field: NodeRef<leptos::html::Input>| {
            field
                .get_untracked()
                .map(|input| input.value())
                .unwrap_or_default()
        };
        login.dispatch(LoginRequest {
            username: value(username),
            password: value(password),
        });
    };

    view! {
        // Someone already logged in goes straight to their home page.
        <Suspense>
            {move || Suspend::new(async move {
                me.await.ok().map(|_| view! { <Redirect path="/"/> })
            })}
        </Suspense>
        <div class="login-page">
            <div class="login-card">
                <div class="login-head">
                    <img src="/icons/icon.svg" alt="" width="48" height="48"/>
                    <div>
                        <h1>{i18n.text(Key::AppName)}</h1>
                        <p class="muted">{i18n.text(Key::AppTagline)}</p>
                    </div>
                </div>
                // Sent by the browser itself (`POST /login`) until the script takes over.
                <form method="post" action="/login" on:submit=on_submit class="stack">
                    <h2>{i18n.text(Key::LoginTitle)}</h2>
                    <label>
                        <span>{i18n.text(Key::LoginUsername)}</span>
                        <input
                            name="username"
                            autocomplete="username"
                            autocapitalize="none"
                            required
                            node_ref=username
                        />
                    </label>
                    <label>
                        <span>{i18n.text(Key::LoginPassword)}</span>
                        <input
                            name="password"
                            type="password"
                            autocomplete="current-password"
                            required
                            node_ref=password
                        />
                    </label>
                    <p class="error" role="alert">{error}</p>
                    <button type="submit" class="primary" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { i18n.t(Key::LoginSubmitting) } else { i18n.t(Key::LoginSubmit) }}
                    </button>
                </form>
                <div class="login-foot">
                    <LanguageSwitch/>
                </div>
            </div>
        </div>
    }
}
