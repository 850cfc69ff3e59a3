//! Shown for any unknown address.

use leptos::prelude::*;

use crate::i18n::{use_i18n, Key};

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <main class="content narrow">
            <section class="card">
                <h1>{i18n.text(Key::ErrorNotFound)}</h1>
                <a href="/" class="button">{i18n.text(Key::ErrorBackHome)}</a>
            </section>
        </main>
    }
}
