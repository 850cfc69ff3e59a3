//! The login page.

use domain::api::LoginRequest;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api;
use crate::components::layout::{go_to, use_me, LanguageSwitch};
use crate::i18n::{use_i18n, Key};

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let me = use_me();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
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
    let error = move || {
        login
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| i18n.error_text(&e.code, &e.message))
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        login.dispatch(LoginRequest {
            username: username.get_untracked(),
            password: password.get_untracked(),
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
                <form on:submit=on_submit class="stack">
                    <h2>{i18n.text(Key::LoginTitle)}</h2>
                    <label>
                        <span>{i18n.text(Key::LoginUsername)}</span>
                        <input
                            name="username"
                            autocomplete="username"
                            autocapitalize="none"
                            required
                            bind:value=username
                        />
                    </label>
                    <label>
                        <span>{i18n.text(Key::LoginPassword)}</span>
                        <input
                            name="password"
                            type="password"
                            autocomplete="current-password"
                            required
                            bind:value=password
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
