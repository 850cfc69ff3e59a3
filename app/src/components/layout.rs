//! The frame of every page after login: a header with the language switch,
//! the page, and the navigation (a bottom bar on phones, a side bar on wide screens).

use domain::api::Me;
use domain::{Permission, Role};
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

use crate::api::{self, ApiError};
use crate::components::deferred::Deferred;
use crate::i18n::{use_i18n, Key};

/// The logged-in user, loaded once per page load. On the server the API is
/// called in-process and the result travels with the HTML, so hydration does
/// not ask again.
#[derive(Clone, Copy)]
pub struct MeResource(pub Resource<Result<Me, ApiError>>);

pub fn provide_me() {
    provide_context(MeResource(Resource::new(|| (), |_| api::me())));
}

pub fn use_me() -> Resource<Result<Me, ApiError>> {
    expect_context::<MeResource>().0
}

pub fn role_key(role: Role) -> Key {
    match role {
        Role::Officer => Key::RoleOfficer,
        Role::Supervisor => Key::RoleSupervisor,
        Role::VillageCommittee => Key::RoleVillageCommittee,
        Role::Partner => Key::RolePartner,
        Role::Admin => Key::RoleAdmin,
    }
}

/// Full page load, so the server renders the next page with the new session.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Renders `page` for a logged-in user, or sends the visitor to the login page.
#[component]
pub fn Authenticated<F>(page: F) -> impl IntoView
where
    F: Fn(Me) -> AnyView + Clone + Send + Sync + 'static,
{
    let me = use_me();
    let i18n = use_i18n();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {
                let page = page.clone();
                move || {
                    let page = page.clone();
                    Suspend::new(async move {
                        match me.await {
                            Ok(user) => view! { <Layout me=user.clone()>{page(user)}</Layout> }.into_any(),
                            Err(e) if e.status == 401 => view! { <Redirect path="/login"/> }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                        }
                    })
                }
            }
        </Suspense>
    }
}

#[component]
fn Layout(me: Me, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let logout = Action::new(|_: &()| async move {
        let _ = api::logout().await;
        go_to("/login");
    });
    let is_admin = me.role.can(Permission::ManageUsers);
    let manages_agencies = me.role.can(Permission::ManageReferenceData);
    let logs_leads = me.role.can(Permission::LogLeads);
    let reads_cases = me.role.can(Permission::ReadCases);
    let reads_referrals = me.role.can(Permission::ReadReferrals);
    let reads_money = crate::pages::money::has_money_page(me.role);
    let reads_stats = me.role.can(Permission::ReadStatistics);
    let cases_key = if me.role == Role::Supervisor {
        Key::NavInbox
    } else {
        Key::NavCases
    };
    view! {
        <div class="app">
            <header class="topbar">
                <span class="brand">{i18n.text(Key::AppName)}</span>
                <span class="who" data-testid="who">{me.display_name.clone()}</span>
                <LanguageSwitch/>
            </header>
            <Deferred>
                <nav class="nav" aria-label=i18n.text(Key::NavMain)>
                    <A href="/">
                        <NavIcon path="M3 11l9-8 9 8v10h-6v-6H9v6H3z"/>
                        <span>{i18n.text(Key::NavHome)}</span>
                    </A>
                    {logs_leads.then(|| view! {
                        <A href="/leads">
                            <NavIcon path="M4 4h16v12H8l-4 4zm4 5h8V7H8zm0 4h5v-2H8z"/>
                            <span>{i18n.text(Key::NavLeads)}</span>
                        </A>
                    })}
                    {reads_cases.then(|| view! {
                        <A href="/cases">
                            <NavIcon path="M4 6h6l2 2h8v11H4zm2 4v7h12v-7z"/>
                            <span>{move || i18n.t(cases_key)}</span>
                        </A>
                    })}
                    {reads_referrals.then(|| view! {
                        <A href="/referrals">
                            <NavIcon path="M4 12h11l-4-4 1.4-1.4L19 13l-6.6 6.4L11 18l4-4H4zM4 4h16v2H4z"/>
                            <span>{i18n.text(Key::NavReferrals)}</span>
                        </A>
                    })}
                    {reads_money.then(|| view! {
                        <A href="/money">
                            <NavIcon path="M3 6h18v12H3zm2 2v8h14V8zm7 1.5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5z"/>
                            <span>{i18n.text(Key::NavMoney)}</span>
                        </A>
                    })}
                    {reads_stats.then(|| view! {
                        <A href="/stats">
                            <NavIcon path="M4 20V10h3v10zm6.5 0V4h3v16zM17 20v-7h3v7z"/>
                            <span>{i18n.text(Key::NavStats)}</span>
                        </A>
                    })}
                    {is_admin.then(|| view! {
                        <A href="/admin/users">
                            <NavIcon path="M16 11a4 4 0 1 0-8 0 4 4 0 0 0 8 0zM4 21c0-4 4-6 8-6s8 2 8 6z"/>
                            <span>{i18n.text(Key::NavUsers)}</span>
                        </A>
                    })}
                    {manages_agencies.then(|| view! {
                        <A href="/admin/agencies">
                            <NavIcon path="M3 21V9l9-6 9 6v12h-6v-7H9v7zm2-2h2v-7h10v7h2v-9l-7-4.7L5 10z"/>
                            <span>{i18n.text(Key::NavAgencies)}</span>
                        </A>
                    })}
                    <button type="button" class="nav-button" on:click=move |_| { logout.dispatch(()); }>
                        <NavIcon path="M10 4H4v16h6v-2H6V6h4zm4 3l-1.4 1.4 2.6 2.6H8v2h7.2l-2.6 2.6L14 17l5-5z"/>
                        <span>{i18n.text(Key::NavLogout)}</span>
                    </button>
                </nav>
            </Deferred>
            <main id="main" class="content">{children()}</main>
        </div>
    }
}

/// A 24×24 outline icon drawn inline, so it needs no font or extra request.
#[component]
fn NavIcon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="nav-icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
            <path d=path fill="currentColor"/>
        </svg>
    }
}

#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button
            type="button"
            class="lang-switch"
            data-testid="lang-switch"
            aria-label=i18n.text(Key::LangSwitchLabel)
            on:click=move |_| i18n.switch_to(i18n.lang().other())
        >
            {i18n.text(Key::LangSwitch)}
        </button>
    }
}
