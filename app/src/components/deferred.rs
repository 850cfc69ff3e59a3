//! A part of a page that hydrates in a task of its own, after the rest.
//!
//! Why: V8 compiles each WebAssembly function on the main thread the first
//! time it runs, so hydrating a long page is one long task (the case page's
//! was 250–370 ms at Lighthouse's 4× slowdown, two thirds of it compiling),
//! and every millisecond of a task past 50 blocks a tap. Splitting the
//! hydration into several tasks lets the browser answer input in between.
//! The page's hydration is cut in three places: the main module is started in
//! one task and hydrates in the next (`HydrationScript`); a lazy page's file is
//! compiled in one task and the page hydrates in the next
//! (`yield_during_first_hydration`, in `routes.rs`); and parts of a page wrapped
//! in `Deferred` (the navigation bar, each card of a case page) hydrate in a
//! task each, in page order.
//!
//! The server renders the part like any other, inside a `<div class="deferred">`
//! (`display: contents`, so layout is unchanged). While the page hydrates, only
//! that wrapper is claimed; a zero-delay timer then hydrates the children
//! against the same DOM nodes. Nothing is rebuilt or swapped: what the user
//! typed, picked or drew meanwhile stays, and scripts holding those nodes
//! (`public/visits.js`, `public/facts.js`) keep them. (A field bound with
//! `bind:value` is the exception: hydrating sets it from its signal. So the
//! forms typed into first, the login form and a case's actions, read their
//! fields when sent instead.) Outside the first hydration (a client-side
//! navigation, a refetch) the children render at once.
//!
//! A part's data can wait for its turn too: the case page's resources carry
//! the parts' JSON as text (`api::Undecoded`), which each part decodes when it
//! hydrates.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
thread_local! {
    /// Whether the page's first hydration is under way (see `hydrate_page`).
    static PAGE_HYDRATING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Hydrates `children` after the rest of the page (see the module's notes).
#[component]
pub fn Deferred<V>(children: TypedChildren<V>) -> impl IntoView
where
    V: IntoView + 'static,
{
    let children = children.into_inner();
    #[cfg(feature = "hydrate")]
    {
        use leptos::either::Either;
        if PAGE_HYDRATING.get() {
            if let Some(owner) = Owner::current() {
                let wrapper = NodeRef::<leptos::html::Div>::new();
                // Disposed with this part: a page left before its turn is not hydrated.
                let alive = StoredValue::new(());
                set_timeout(
                    move || {
                        if alive.is_disposed() {
                            return;
                        }
                        if let Some(element) = wrapper.get_untracked() {
                            owner.with(|| hydrate_into(element.into(), children));
                        }
                    },
                    std::time::Duration::ZERO,
                );
                return Either::Left(view! { <div class="deferred" node_ref=wrapper></div> });
            }
        }
        Either::Right(view! { <div class="deferred">{children()}</div> })
    }
    #[cfg(not(feature = "hydrate"))]
    view! { <div class="deferred">{children()}</div> }
}

/// Hydrates the page, as `leptos::mount::hydrate_lazy` does, noting while it
/// runs: only parts rendered during this first hydration are deferred. (The
/// shared context's `during_hydration` cannot tell: under async hydration it
/// still says true long after, when a refetch renders the page afresh.)
#[cfg(feature = "hydrate")]
pub fn hydrate_page<F, N>(app: F)
where
    F: FnOnce() -> N + 'static,
    N: IntoView,
{
    let Some(body) = document().body() else {
        return;
    };
    PAGE_HYDRATING.set(true);
    wasm_bindgen_futures::spawn_local(async move {
        let handle = leptos::mount::hydrate_from_async(body, app).await;
        PAGE_HYDRATING.set(false);
        handle.forget();
    });
}

/// During the page's first hydration, lets the browser run its other tasks
/// (input, paint) before the caller goes on; otherwise returns at once.
pub async fn yield_during_first_hydration() {
    #[cfg(feature = "hydrate")]
    if PAGE_HYDRATING.get() {
        let timer = js_sys::Promise::new(&mut |resume, _| {
            let _ = window().set_timeout_with_callback(&resume);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(timer).await;
    }
}

/// Hydrates the server's HTML inside `parent` with the view `children` makes,
/// under the current owner, which keeps the view's state alive as long as it lives.
///
/// Through `hydrate_async`, as the rest of the page (`hydrate_from_async`): the
/// synchronous `hydrate` here put 78 KB more constant data into the main module.
/// The views are ready, so the future completes in this same task.
#[cfg(feature = "hydrate")]
fn hydrate_into<V: IntoView + 'static>(
    parent: web_sys::Element,
    children: impl FnOnce() -> View<V>,
) {
    use leptos::tachys::hydration::Cursor;
    use leptos::tachys::view::{PositionState, RenderHtml};
    let view = children().into_view();
    leptos::task::spawn_local(async move {
        let state = view
            .hydrate_async(&Cursor::new(parent), &PositionState::default())
            .await;
        StoredValue::new_local(state);
    });
}
