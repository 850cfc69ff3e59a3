//! Referrals to partner agencies ("1+N"): the list of one's referrals (a
//! partner's inbox, an officer's sent ones), one referral as a card with what
//! the viewer may do, and the referral part of a case page.

use domain::api::{Agency, CaseReferrals, Me, NewConsent, NewReferral, ReferralView};
use domain::date::format_china_datetime;
use domain::referral::{ReferralAction, ReferralState, Service};
use domain::Role;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::components::labels::label;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn ReferralStateBadge(state: ReferralState) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span class=format!("badge referral-{}", state.as_str())>
            {move || label(i18n, "referral_state", state.as_str())}
        </span>
    }
}

/// `/referrals`: a partner's inbox (their agency's referrals), or an officer's
/// referrals with the overdue ones counted; `?state=` and `?overdue=true`
/// (the home page links here with them) narrow the list.
#[component]
pub fn ReferralsPage(me: Me) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let initial = query.with_untracked(|q| {
        (
            q.get("state").unwrap_or_default(),
            q.get("overdue").as_deref() == Some("true"),
        )
    });
    let state = RwSignal::new(initial.0);
    let overdue_only = RwSignal::new(initial.1);
    let referrals = Resource::new(
        move || (state.get(), overdue_only.get()),
        |(state, overdue)| async move { api::list_referrals(&state, overdue).await },
    );
    let title = if me.role == Role::Partner {
        Key::ReferralInboxTitle
    } else {
        Key::ReferralMineTitle
    };
    view! {
        <section class="card">
            <h1>{move || i18n.t(title)}</h1>
            {me.agency.clone().map(|a| view! { <p class="muted">{a.name}</p> })}
            <div class="filters">
                <label>
                    <span>{i18n.text(Key::ReferralFilterState)}</span>
                    <select name="state" on:change=move |ev| state.set(event_target_value(&ev)) prop:value=move || state.get()>
                        <option value="">{i18n.text(Key::ReferralFilterAll)}</option>
                        {ReferralState::ALL.iter().map(|s| {
                            let s = *s;
                            view! { <option value=s.as_str()>{move || label(i18n, "referral_state", s.as_str())}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" name="overdue" prop:checked=move || overdue_only.get()
                        on:change=move |ev| overdue_only.set(event_target_checked(&ev))/>
                    <span>{i18n.text(Key::ReferralFilterOverdue)}</span>
                </label>
            </div>
        </section>
        <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match referrals.await {
                    Ok(list) if list.is_empty() => view! { <p class="card muted">{i18n.text(Key::ReferralEmpty)}</p> }.into_any(),
                    Ok(list) => {
                        let overdue = list.iter().filter(|r| r.overdue).count().to_string();
                        view! {
                            {(overdue != "0").then(|| view! {
                                <p class="card late" data-testid="overdue-count">{move || i18n.t_with(Key::ReferralOverdueCount, &[("count", &overdue)])}</p>
                            })}
                            <ul class="referral-list stack" data-testid="referrals">
                                {list.into_iter().map(|r| view! { <li><ReferralCard referral=r on_change=move || referrals.refetch()/></li> }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="card error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// One referral: who, what is needed, by when, its state and history, and the viewer's actions.
#[component]
pub fn ReferralCard<F>(referral: ReferralView, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let r = referral;
    let service = r.service.as_str();
    let due = r.due_on.clone();
    let referred_by = r.referred_by.name.clone();
    view! {
        <article class="card referral" class:overdue=r.overdue data-testid="referral" data-referral-id=r.id.to_string()>
            <div class="case-head">
                <h3>{r.person_name.clone()}" · "{move || label(i18n, "service", service)}</h3>
                <span data-testid="referral-state"><ReferralStateBadge state=r.state/></span>
            </div>
            <div class="badges">
                <span class="badge">{r.agency.name.clone()}</span>
                <span class="badge">{move || i18n.t_with(Key::ReferralDue, &[("date", &due)])}</span>
                {r.overdue.then(|| view! { <span class="badge clock overdue" data-testid="referral-overdue">{i18n.text(Key::ReferralOverdue)}</span> })}
            </div>
            <dl class="facts">
                <dt>{i18n.text(Key::CaseVillage)}</dt><dd>{r.village.clone()}</dd>
                {r.phone.clone().map(|p| {
                    // Lists mask phones; the referral itself has the number for
                    // those who need it (the agency, the case's team).
                    let referral_id = r.id;
                    let masked = p.contains('*');
                    let shown = RwSignal::new(p);
                    let reveal = Action::new(move |_: &()| async move {
                        if let Ok(one) = api::get_referral(referral_id).await {
                            if let Some(full) = one.phone {
                                shown.set(full);
                            }
                        }
                    });
                    view! {
                        <dt>{i18n.text(Key::CasePhone)}</dt>
                        <dd>
                            {move || {
                                let p = shown.get();
                                if p.contains('*') { view! { <span>{p}</span> }.into_any() } else { let tel = format!("tel:{p}"); view! { <a href=tel>{p}</a> }.into_any() }
                            }}
                            {masked.then(|| view! {
                                <button type="button" class="link" data-testid="show-phone" on:click=move |_| { reveal.dispatch(()); }>{i18n.text(Key::ReferralShowPhone)}</button>
                            })}
                        </dd>
                    }
                })}
                {r.case_id.map(|id| {
                    let number = r.case_number.clone().unwrap_or_default();
                    view! { <dt>{i18n.text(Key::ReferralCase)}</dt><dd><A href=format!("/cases/{id}")>{number}</A></dd> }
                })}
            </dl>
            <p>{r.note.clone()}</p>
            <p class="muted">{move || i18n.t_with(Key::ReferralReferredBy, &[("name", &referred_by)])}</p>
            {r.outcome.clone().map(|o| view! { <p class="outcome" data-testid="referral-outcome">{move || i18n.t_with(Key::ReferralOutcomeShown, &[("outcome", &o)])}</p> })}
            {r.decline_reason.clone().map(|d| view! { <p class="outcome">{move || i18n.t_with(Key::ReferralDeclinedBecause, &[("reason", &d)])}</p> })}
            {r.withdraw_reason.clone().map(|w| view! { <p class="outcome" data-testid="referral-withdrawn">{move || i18n.t_with(Key::ReferralWithdrawnBecause, &[("reason", &w)])}</p> })}
            <ol class="timeline">
                {r.updates.iter().map(|u| {
                    let to = u.to_state;
                    view! {
                        <li>
                            <div class="when">{format_china_datetime(u.at)}" · "{u.actor.name.clone()}</div>
                            <div><ReferralStateBadge state=to/></div>
                            {u.note.clone().map(|n| view! { <p class="comment">{n}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
            {(!r.actions.is_empty()).then(|| view! {
                <div class="actions stack">
                    {r.actions.iter().map(|a| view! { <ReferralActionForm id=r.id action=*a on_change/> }).collect_view()}
                </div>
            })}
        </article>
    }
}

/// Accept is a button; decline, progress and complete ask for their text.
#[component]
fn ReferralActionForm<F>(id: i64, action: ReferralAction, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = Action::new(move |text: &Option<String>| {
        let text = text.clone();
        async move {
            match api::referral_action(id, action, text).await {
                Ok(_) => {
                    error.set(None);
                    on_change();
                }
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let (button, field) = match action {
        ReferralAction::Accept => (Key::ReferralAccept, None),
        ReferralAction::Decline => (Key::ReferralDecline, Some(Key::ReferralDeclineReason)),
        ReferralAction::Progress => (Key::ReferralProgress, Some(Key::ReferralProgressNote)),
        ReferralAction::Complete => (Key::ReferralComplete, Some(Key::ReferralOutcome)),
        ReferralAction::Withdraw => (Key::ReferralWithdraw, Some(Key::ReferralWithdrawReason)),
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = text.get_untracked();
        if action.needs_text() && value.trim().is_empty() {
            error.set(Some(i18n.error_text("required", "")));
            return;
        }
        submit.dispatch(action.needs_text().then_some(value));
    };
    view! {
        <form class="stack action-form" on:submit=on_submit data-action=action.as_str()>
            {field.map(|key| view! {
                <label>
                    <span>{move || i18n.t(key)}</span>
                    <textarea name="text" rows="2" bind:value=text></textarea>
                </label>
            })}
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" class:primary=matches!(action, ReferralAction::Accept | ReferralAction::Complete) disabled=move || submit.pending().get()>
                {move || i18n.t(button)}
            </button>
        </form>
    }
}

/// The referral part of a case page: referrals, consents and, for the case's officer, the forms.
#[component]
pub fn CaseReferralsSection<F>(
    case_id: i64,
    data: CaseReferrals,
    agencies: Vec<Agency>,
    on_change: F,
) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let has_consent = !data.consents.is_empty();
    view! {
        <section class="card" data-testid="case-referrals">
            <h2>{i18n.text(Key::ReferralTitle)}</h2>
            {data.referrals.is_empty().then(|| view! { <p class="muted">{i18n.text(Key::ReferralEmpty)}</p> })}
            <ul class="referral-list stack">
                {data.referrals.into_iter().map(|r| view! { <li><ReferralCard referral=r on_change/></li> }).collect_view()}
            </ul>
            <h3>{i18n.text(Key::ReferralConsents)}</h3>
            <ul class="consents" data-testid="consents">
                {data.consents.iter().map(|c| {
                    let (person, given_by, relationship, date) = (c.person.name.clone(), c.given_by.clone(), c.relationship.clone(), c.signed_on.clone());
                    view! {
                        <li>
                            {move || i18n.t_with(Key::ReferralConsentLine, &[("person", &person), ("given_by", &given_by), ("relationship", &relationship), ("date", &date)])}
                            {c.scope_note.clone().map(|n| view! { <p class="muted">{n}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {data.can_refer.then(|| {
                let people = data.people.clone();
                view! {
                    <ConsentForm case_id people=people.clone() on_change/>
                    {if has_consent {
                        view! { <ReferForm case_id people agencies=agencies.clone() on_change/> }.into_any()
                    } else {
                        view! { <p class="muted">{i18n.text(Key::ReferralNoConsent)}</p> }.into_any()
                    }}
                }
            })}
        </section>
    }
}

/// Today in China time, as a date input wants it; empty until hydrated.
fn today_in_china() -> String {
    let now = crate::pages::cases::js_now();
    if now <= 0 {
        return String::new();
    }
    domain::date::format_date(domain::date::china_date(now))
}

#[component]
fn ConsentForm<F>(case_id: i64, people: Vec<domain::api::NamedRef>, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let person = RwSignal::new(people.first().map(|p| p.id.to_string()).unwrap_or_default());
    let given_by = RwSignal::new(String::new());
    let relationship = RwSignal::new(String::new());
    let signed_on = RwSignal::new(String::new());
    let scope = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| signed_on.set(today_in_china()));
    let submit = Action::new(move |input: &NewConsent| {
        let input = input.clone();
        async move {
            match api::record_consent(case_id, &input).await {
                Ok(_) => on_change(),
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let scope_note = scope.get_untracked();
        submit.dispatch(NewConsent {
            person_id: person.get_untracked().parse().unwrap_or(0),
            given_by: given_by.get_untracked(),
            relationship: relationship.get_untracked(),
            signed_on: signed_on.get_untracked(),
            scope_note: (!scope_note.trim().is_empty()).then_some(scope_note),
        });
    };
    view! {
        <form class="stack" data-testid="consent-form" on:submit=on_submit>
            <label>
                <span>{i18n.text(Key::ReferralPerson)}</span>
                <select name="consent_person" bind:value=person>
                    {people.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                </select>
            </label>
            <label>
                <span>{i18n.text(Key::ReferralConsentGivenBy)}</span>
                <input name="given_by" required bind:value=given_by/>
            </label>
            <label>
                <span>{i18n.text(Key::ReferralConsentRelationship)}</span>
                <input name="relationship" required bind:value=relationship/>
            </label>
            <label>
                <span>{i18n.text(Key::ReferralConsentSignedOn)}</span>
                <input name="signed_on" type="date" required bind:value=signed_on/>
            </label>
            <label>
                <span>{i18n.text(Key::ReferralConsentScope)}</span>
                <input name="scope_note" bind:value=scope/>
            </label>
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" disabled=move || submit.pending().get()>{i18n.text(Key::ReferralConsentSave)}</button>
        </form>
    }
}

#[component]
fn ReferForm<F>(
    case_id: i64,
    people: Vec<domain::api::NamedRef>,
    agencies: Vec<Agency>,
    on_change: F,
) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let person = RwSignal::new(people.first().map(|p| p.id.to_string()).unwrap_or_default());
    let agency = RwSignal::new(String::new());
    let service = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let due_on = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = Action::new(move |input: &NewReferral| {
        let input = input.clone();
        async move {
            match api::create_referral(case_id, &input).await {
                Ok(_) => on_change(),
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(chosen) = Service::parse(&service.get_untracked()) else {
            error.set(Some(i18n.error_text("service_not_offered", "")));
            return;
        };
        let Ok(agency_id) = agency.get_untracked().parse::<i64>() else {
            error.set(Some(i18n.error_text("unknown_agency", "")));
            return;
        };
        submit.dispatch(NewReferral {
            person_id: person.get_untracked().parse().unwrap_or(0),
            agency_id,
            service: chosen,
            note: note.get_untracked(),
            due_on: due_on.get_untracked(),
        });
    };
    view! {
        <form class="stack" data-testid="refer-form" on:submit=on_submit>
            <h3>{i18n.text(Key::ReferralNew)}</h3>
            <label>
                <span>{i18n.text(Key::ReferralPerson)}</span>
                <select name="person" bind:value=person>
                    {people.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                </select>
            </label>
            {
                let for_services = agencies.clone();
                // The services offered by the chosen agency only.
                let services = move || {
                    let id = agency.get().parse::<i64>().ok();
                    for_services.iter().find(|a| Some(a.id) == id).map(|a| a.services.clone()).unwrap_or_default()
                };
                view! {
                    <label>
                        <span>{i18n.text(Key::ReferralAgency)}</span>
                        <select name="agency" on:change=move |ev| { agency.set(event_target_value(&ev)); service.set(String::new()); } prop:value=move || agency.get()>
                            <option value="">{i18n.text(Key::ReferralChoose)}</option>
                            {agencies.into_iter().map(|a| view! { <option value=a.id.to_string()>{a.name}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>
                        <span>{i18n.text(Key::ReferralService)}</span>
                        <select name="service" on:change=move |ev| service.set(event_target_value(&ev)) prop:value=move || service.get()>
                            <option value="">{i18n.text(Key::ReferralChoose)}</option>
                            {move || services().into_iter().map(|s| view! { <option value=s.as_str()>{move || label(i18n, "service", s.as_str())}</option> }).collect_view()}
                        </select>
                    </label>
                }
            }
            <label>
                <span>{i18n.text(Key::ReferralNeed)}</span>
                <textarea name="note" rows="3" required bind:value=note></textarea>
            </label>
            <label>
                <span>{i18n.text(Key::ReferralDueOn)}</span>
                <input name="due_on" type="date" required bind:value=due_on/>
            </label>
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" class="primary" disabled=move || submit.pending().get()>{i18n.text(Key::ReferralSave)}</button>
        </form>
    }
}
