//! The case list: an officer's own cases, a supervisor's approval inbox, search and filters.

use domain::api::Me;
use domain::case::{CaseState, Channel, PriorityGroup};
use domain::Role;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::fields::VillageSelect;
use crate::components::labels::{
    encode, label, yuan, GreenChannel, GroupBadges, StageClock, StateBadge,
};
use crate::i18n::{use_i18n, Key};

#[component]
pub fn CasesPage(me: Me) -> impl IntoView {
    let i18n = use_i18n();
    let supervisor = me.role == Role::Supervisor;
    // Officers start with their own cases; supervisors with what waits for approval.
    let state = RwSignal::new(if supervisor {
        "proposed".to_string()
    } else {
        String::new()
    });
    let mine = RwSignal::new(!supervisor);
    let text = RwSignal::new(String::new());
    let page = RwSignal::new(1i64);
    let channel = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let village = RwSignal::new(String::new());
    let officer = RwSignal::new(String::new());
    let year = RwSignal::new(String::new());
    let overdue = RwSignal::new(false);
    let cases = Resource::new(
        move || {
            (
                (state.get(), mine.get(), text.get(), page.get()),
                (channel.get(), group.get(), village.get()),
                (officer.get(), year.get(), overdue.get()),
            )
        },
        |((state, mine, text, page), (channel, group, village), (officer, year, overdue))| {
            let mut query = format!("page={page}&per_page=20");
            for (name, value) in [
                ("channel", &channel),
                ("priority_group", &group),
                ("village_id", &village),
                ("officer_id", &officer),
                ("year", &year),
            ] {
                if !value.is_empty() {
                    query.push_str(&format!("&{name}={}", encode(value)));
                }
            }
            if !state.is_empty() {
                query.push_str(&format!("&state={state}"));
            }
            if mine {
                query.push_str("&mine=true");
            }
            if overdue {
                query.push_str("&overdue=true");
            }
            if !text.trim().is_empty() {
                query.push_str(&format!("&q={}", encode(text.trim())));
            }
            api::list_cases(query)
        },
    );
    // A new village choice starts again from the first page, like the other filters.
    Effect::new(move |_| {
        village.track();
        page.set(1);
    });
    let officers = Resource::new(|| (), |_| api::list_officers());
    let years = Resource::new(|| (), |_| api::case_years());
    let search = RwSignal::new(String::new());
    let now = RwSignal::new(0i64);
    Effect::new(move |_| now.set(js_now()));

    view! {
        <section class="card">
            <h1>{move || if supervisor { i18n.t(Key::CasesInbox) } else { i18n.t(Key::CasesMine) }}</h1>
            <form class="filters" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                page.set(1);
                text.set(search.get_untracked());
            }>
                <input type="search" name="q" bind:value=search placeholder=i18n.text(Key::CasesSearch) aria-label=i18n.text(Key::CasesSearch)/>
                <select name="state" aria-label=i18n.text(Key::CasesAnyState) on:change=move |ev| { page.set(1); state.set(event_target_value(&ev)); } prop:value=move || state.get()>
                    <option value="">{i18n.text(Key::CasesAnyState)}</option>
                    {CaseState::ALL.iter().map(|s| view! { <option value=s.as_str()>{move || label(i18n, "state", s.as_str())}</option> }).collect_view()}
                </select>
                <select name="channel" aria-label=i18n.text(Key::CasesAnyChannel) on:change=move |ev| { page.set(1); channel.set(event_target_value(&ev)); }>
                    <option value="">{i18n.text(Key::CasesAnyChannel)}</option>
                    {Channel::ALL.iter().map(|c| view! { <option value=c.as_str()>{move || label(i18n, "channel", c.as_str())}</option> }).collect_view()}
                </select>
                <select name="priority_group" aria-label=i18n.text(Key::CasesAnyGroup) on:change=move |ev| { page.set(1); group.set(event_target_value(&ev)); }>
                    <option value="">{i18n.text(Key::CasesAnyGroup)}</option>
                    {PriorityGroup::ALL.iter().map(|g| view! { <option value=g.as_str()>{move || label(i18n, "group", g.as_str())}</option> }).collect_view()}
                </select>
                <VillageSelect value=village any=true/>
                <select name="officer_id" aria-label=i18n.text(Key::CasesAnyOfficer) on:change=move |ev| { page.set(1); officer.set(event_target_value(&ev)); }>
                    <option value="">{i18n.text(Key::CasesAnyOfficer)}</option>
                    <Transition>
                        {move || Suspend::new(async move {
                            officers.await.unwrap_or_default().into_iter().map(|o| view! {
                                <option value=o.id.to_string()>{o.name}</option>
                            }).collect_view()
                        })}
                    </Transition>
                </select>
                <select name="year" aria-label=i18n.text(Key::CasesAnyYear) on:change=move |ev| { page.set(1); year.set(event_target_value(&ev)); }>
                    <option value="">{i18n.text(Key::CasesAnyYear)}</option>
                    <Transition>
                        {move || Suspend::new(async move {
                            years.await.unwrap_or_default().into_iter().map(|y| {
                                let (value, y) = (y.to_string(), y.to_string());
                                view! { <option value=value>{move || i18n.t_with(Key::CasesYear, &[("year", &y)])}</option> }
                            }).collect_view()
                        })}
                    </Transition>
                </select>
                <label class="check">
                    <input type="checkbox" prop:checked=move || mine.get() on:change=move |ev| { page.set(1); mine.set(event_target_checked(&ev)); }/>
                    <span>{i18n.text(Key::CasesMine)}</span>
                </label>
                <label class="check">
                    <input type="checkbox" name="overdue" prop:checked=move || overdue.get() on:change=move |ev| { page.set(1); overdue.set(event_target_checked(&ev)); }/>
                    <span>{i18n.text(Key::CasesOnlyOverdue)}</span>
                </label>
            </form>
        </section>
        <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match cases.await {
                    Ok(list) if list.items.is_empty() => view! { <p class="card muted">{i18n.text(Key::CasesEmpty)}</p> }.into_any(),
                    Ok(list) => {
                        let total = list.total;
                        let (total_key, has_next) = if list.total_exact {
                            let last_page = (total + list.per_page - 1) / list.per_page;
                            (Key::CasesTotal, page.get_untracked() < last_page)
                        } else {
                            // Past the count's cap: a full page means there may be more.
                            (Key::CasesTotalOver, list.items.len() as i64 == list.per_page)
                        };
                        view! {
                            <ul class="case-list" data-testid="case-list">
                                {list.items.into_iter().map(|c| view! {
                                    <li class="card case-item">
                                        <A href=format!("/cases/{}", c.id)>
                                            <div class="case-head">
                                                <strong>{c.number.clone()}</strong>
                                                <StateBadge state=c.state/>
                                            </div>
                                            <div>{c.applicant_name.clone()}" · "{c.village.name.clone()}" · "{c.officer.name.clone()}</div>
                                            <div class="badges">
                                                <GroupBadges groups=c.priority_groups.clone()/>
                                                {c.green_channel.then(|| view! { <GreenChannel deadline=c.green_channel_deadline confirmed=c.green_channel_confirmed now/> })}
                                                {c.proposed_amount_fen.map(|f| view! { <span class="amount">{move || yuan(i18n, f)}</span> })}
                                                {(!c.state.is_final()).then(|| view! { <StageClock since=c.state_since due_at=c.stage_due_at now/> })}
                                            </div>
                                        </A>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <div class="pager">
                                <button type="button" disabled=move || page.get() <= 1 on:click=move |_| page.update(|p| *p -= 1)>{i18n.text(Key::CasesPrevious)}</button>
                                <span>{move || i18n.t_with(total_key, &[("total", &total.to_string())])}</span>
                                <button type="button" disabled=!has_next on:click=move |_| page.update(|p| *p += 1)>{i18n.text(Key::CasesNext)}</button>
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The browser's clock (0 during server rendering, where no clock is shown).
pub fn js_now() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys_now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0
    }
}

#[cfg(feature = "hydrate")]
fn js_sys_now() -> i64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| (p.time_origin() + p.now()) as i64)
        .unwrap_or(0)
}
