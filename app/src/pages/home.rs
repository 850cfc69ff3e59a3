//! The home page: what this user's role does, and where to start.

use domain::api::Me;
use domain::Role;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::layout::role_key;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn HomePage(me: Me) -> impl IntoView {
    let i18n = use_i18n();
    let (title, intro) = match me.role {
        Role::Officer => (Key::HomeOfficerTitle, Key::HomeOfficerIntro),
        Role::Supervisor => (Key::HomeSupervisorTitle, Key::HomeSupervisorIntro),
        Role::VillageCommittee => (Key::HomeVillageTitle, Key::HomeVillageIntro),
        Role::Partner => (Key::HomePartnerTitle, Key::HomePartnerIntro),
        Role::Admin => (Key::HomeAdminTitle, Key::HomeAdminIntro),
    };
    let name = me.display_name.clone();
    let role = me.role;
    let village = me.village.clone().map(|v| v.name);
    let agency = me.agency.clone().map(|a| a.name);
    view! {
        <section class="card" data-testid="home" data-role=role.as_str()>
            <h1>{move || i18n.t_with(Key::HomeGreeting, &[("name", &name)])}</h1>
            <p class="muted">{move || i18n.t_with(Key::HomeYourRole, &[("role", i18n.t(role_key(role)))])}</p>
            {village.map(|village| view! {
                <p data-testid="scope">{move || i18n.t_with(Key::HomeScopeVillage, &[("village", &village)])}</p>
            })}
            {agency.map(|agency| view! {
                <p data-testid="scope">{move || i18n.t_with(Key::HomeScopeAgency, &[("agency", &agency)])}</p>
            })}
        </section>
        <section class="card">
            <h2>{move || i18n.t(title)}</h2>
            <p>{move || i18n.t(intro)}</p>
            {(role == Role::Partner).then(|| view! {
                <A href="/referrals" attr:class="button primary">{i18n.text(Key::NavReferrals)}</A>
            })}
            {role.can(domain::Permission::ReadVisits).then(|| view! {
                <A href="/follow-ups" attr:class="button">{i18n.text(Key::NavFollowUps)}</A>
            })}
            {role.can(domain::Permission::ReadAccessLog).then(|| view! {
                <A href="/access" attr:class="button">{i18n.text(Key::HomeAccessGrants)}</A>
            })}
            {(role == Role::VillageCommittee).then(|| view! {
                <A href="/money" attr:class="button primary">{i18n.text(Key::HomeVillageOpen)}</A>
            })}
            {(role == Role::Admin).then(|| view! {
                <div class="actions">
                    <A href="/admin/users" attr:class="button primary">{i18n.text(Key::HomeManageUsers)}</A>
                    <A href="/admin/agencies" attr:class="button">{i18n.text(Key::HomeManageAgencies)}</A>
                </div>
            })}
        </section>
        {match role {
            Role::Officer => Some(view! { <ReferralsWaiting state="" overdue_only=true text=Key::HomeOverdueReferrals/> }),
            Role::Partner => Some(view! { <ReferralsWaiting state="sent" overdue_only=false text=Key::HomeNewReferrals/> }),
            _ => None,
        }}
    }
}

/// A line that counts the referrals waiting for this user and links to them;
/// nothing when there are none.
#[component]
fn ReferralsWaiting(state: &'static str, overdue_only: bool, text: Key) -> impl IntoView {
    let i18n = use_i18n();
    let referrals = Resource::new(|| (), move |_| api::list_referrals(state, overdue_only));
    let href = format!("/referrals?state={state}&overdue={overdue_only}");
    view! {
        <Transition>
            {move || {
                let href = href.clone();
                Suspend::new(async move {
                    let count = referrals.await.map(|list| list.len()).unwrap_or(0);
                    (count > 0).then(|| {
                        let count = count.to_string();
                        view! {
                            <A href=href attr:class="card late" attr:data-testid="home-referrals">
                                {move || i18n.t_with(text, &[("count", &count)])}
                            </A>
                        }
                    })
                })
            }}
        </Transition>
    }
}
