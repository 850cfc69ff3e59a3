//! One case: the people, the proposal, what the viewer can do now, and the whole timeline.

use domain::api::money::MoneyView;
use domain::api::{
    Agency, CaseDetail, CaseReferrals, DeclineGreenChannel, Me, PersonView, TransitionRequest,
};
use domain::case::CaseAction;
use domain::date::format_china_datetime;
use domain::Fen;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{self, Undecoded};
use crate::components::deferred::Deferred;
use crate::components::labels::{
    duration_text, label, yuan, GreenChannel, GroupBadges, StateBadge,
};
use crate::i18n::{use_i18n, Key};
use crate::pages::cases::js_now;
use crate::pages::facts::CaseFactsSection;
use crate::pages::money::MoneySection;
use crate::pages::privacy::BreakGlass;
use crate::pages::referrals::CaseReferralsSection;
use crate::pages::visits::CaseVisitsSection;

#[component]
pub fn CasePage(me: Me) -> impl IntoView {
    let i18n = use_i18n();
    // Supervisors also see who read a child's case.
    let show_reads = me.role.can(domain::Permission::ReadAccessLog);
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let case = Resource::new(id, api::get_case);
    // The other parts' data stays JSON text until each part hydrates, in a task
    // of its own, and decodes it (`api::Undecoded`): decoding all of it here
    // made the page's first task the longest. Each part shows nothing when its
    // data cannot be had: the case shows all the same.
    let referrals = Resource::new_str(id, api::case_referrals);
    // The agencies the referral form offers, loaded with the case so the form
    // needs no resource of its own (a nested one broke hydration).
    let agencies = Resource::new_str(id, |_| api::list_agencies_undecoded());
    // Visits only for those who may see them (the case's officer, supervisors).
    let visits = Resource::new_str(id, api::case_visits);
    // `public/visits.js` says when it has sent queued visits: show them.
    #[cfg(feature = "hydrate")]
    {
        let handle =
            window_event_listener_untyped("jiuzhu-visits-synced", move |_| visits.refetch());
        on_cleanup(move || handle.remove());
    }
    // The facts, for those who may see them (the case's officer, supervisors).
    let facts = Resource::new_str(id, api::case_facts);
    // `public/facts.js` says when it has sent queued edits: show the merge.
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener_untyped("jiuzhu-facts-synced", move |_| facts.refetch());
        on_cleanup(move || handle.remove());
    }
    let money = Resource::new_str(id, api::money::case_money_undecoded);
    let now = RwSignal::new(0i64);
    Effect::new(move |_| now.set(js_now()));
    view! {
        <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                let referrals_now = referrals.await;
                let agencies_now = agencies.await;
                let visits_now = visits.await;
                let money_now = money.await;
                let facts_now = facts.await;
                let id_now = id();
                match case.await {
                    Ok(detail) => {
                        let case_id = detail.id;
                        view! {
                            <CaseView detail referrals=referrals_now agencies=agencies_now money=money_now now show_reads on_change=move || { case.refetch(); referrals.refetch(); money.refetch(); if visits.get_untracked().is_some_and(|v| v.is_present()) { visits.refetch(); } }/>
                            {facts_now.is_present().then(|| view! { <Deferred>{facts_now.decode().map(|view| view! { <CaseFactsSection view on_change=move || { facts.refetch(); case.refetch(); }/> })}</Deferred> })}
                            {visits_now.is_present().then(|| view! { <Deferred>{visits_now.decode().map(|v| view! { <CaseVisitsSection case_id visits=v/> })}</Deferred> })}
                        }.into_any()
                    }
                    // A child's case outside one's team: state why to open it.
                    Err(e) if e.code == "protected_case" => view! {
                        <BreakGlass case_id=id_now on_granted=move || { case.refetch(); referrals.refetch(); }/>
                    }.into_any(),
                    Err(e) => view! { <p class="card error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CaseView<F>(
    detail: CaseDetail,
    referrals: Undecoded<CaseReferrals>,
    agencies: Undecoded<Vec<Agency>>,
    money: Undecoded<MoneyView>,
    now: RwSignal<i64>,
    show_reads: bool,
    on_change: F,
) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let d = detail;
    let channel = d.channel.as_str();
    let relationship = d.agent_relationship.clone().unwrap_or_default();
    let privacy = d.clone();
    view! {
        <Deferred>
            <section class="card" data-testid="case">
                <div class="case-head">
                    <h1>{d.number.clone()}</h1>
                    <span data-testid="case-state"><StateBadge state=d.state/></span>
                </div>
                {d.green_channel.then(|| view! { <GreenChannel deadline=d.green_channel_deadline confirmed=d.green_channel_confirmed now/> })}
                {d.can_confirm_green_channel.then(|| view! { <DecideGreenChannel case_id=d.id on_change/> })}
                <dl class="facts">
                    <dt>{i18n.text(Key::CaseChannel)}</dt><dd>{move || label(i18n, "channel", channel)}</dd>
                    <dt>{i18n.text(Key::CaseVillage)}</dt><dd>{d.village.name.clone()}</dd>
                    <dt>{i18n.text(Key::CaseOfficer)}</dt><dd>{d.officer.name.clone()}</dd>
                    {d.criminal_case_ref.clone().map(|r| view! { <dt>{i18n.text(Key::CaseCriminalCase)}</dt><dd>{r}</dd> })}
                </dl>
                <p>{d.summary.clone()}</p>
                <PrivacyNotes detail=privacy show_reads/>
            </section>
        </Deferred>
        <Deferred>
            <section class="card">
                <h2>{i18n.text(Key::CaseApplicant)}</h2>
                <Person person=d.applicant.clone()/>
                {d.agent.clone().map(|agent| {
                    let relationship = relationship.clone();
                    view! {
                        <h2>{move || i18n.t_with(Key::CaseAgent, &[("relationship", &relationship)])}</h2>
                        <Person person=agent/>
                    }
                })}
            </section>
            {(d.proposed_amount_fen.is_some()).then(|| view! {
                <section class="card" data-testid="proposal">
                    <h2>{i18n.text(Key::CaseProposal)}</h2>
                    <dl class="facts">
                        {d.proposed_amount_fen.map(|f| view! { <dt>{i18n.text(Key::CaseProposedAmount)}</dt><dd>{move || yuan(i18n, f)}</dd> })}
                        {d.approved_amount_fen.map(|f| view! { <dt>{i18n.text(Key::CaseApprovedAmount)}</dt><dd>{move || yuan(i18n, f)}</dd> })}
                    </dl>
                    <p>{d.proposal_reasoning.clone()}</p>
                </section>
            })}
        </Deferred>
        {(!d.actions.is_empty()).then(|| view! {
            <Deferred>
                <section class="card actions" data-testid="actions">
                    {d.actions.iter().map(|a| view! { <ActionForm case_id=d.id action=*a on_change/> }).collect_view()}
                </section>
            </Deferred>
        })}
        {(money.is_present() && d.approved_amount_fen.is_some()).then(|| view! {
            <Deferred>{money.decode().map(|view| view! { <MoneySection view on_change/> })}</Deferred>
        })}
        {referrals.is_present().then(|| view! {
            <Deferred>
                {referrals.decode().map(|data| view! { <CaseReferralsSection case_id=d.id data agencies=agencies.decode().unwrap_or_default() on_change/> })}
            </Deferred>
        })}
        <Deferred>
            <section class="card">
                <h2>{i18n.text(Key::CaseStages)}</h2>
                <ol class="stages" data-testid="stages">
                    {d.stages.iter().map(|span| {
                        let running = span.left_at.is_none();
                        let duration = span.duration_ms;
                        let limit = span.limit_ms;
                        view! {
                            <li class:overdue=span.overdue>
                                <StateBadge state=span.state/>
                                <span class="duration">{move || duration_text(i18n, duration)}</span>
                                {running.then(|| view! { <span class="muted">{i18n.text(Key::CaseStageRunning)}</span> })}
                                {limit.map(|l| view! { <span class="muted">{move || i18n.t_with(Key::CaseStageLimit, &[("duration", &duration_text(i18n, l))])}</span> })}
                                {span.overdue.then(|| view! { <strong class="late">{i18n.text(Key::CaseStageOverdue)}</strong> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </section>
            <section class="card">
                <h2>{i18n.text(Key::CaseTimeline)}</h2>
                <ol class="timeline" data-testid="timeline">
                    {d.timeline.iter().map(|e| {
                        let action = e.action.clone();
                        let to = e.to_state;
                        view! {
                            <li>
                                <div class="when">{format_china_datetime(e.at)}" · "{e.actor.name.clone()}</div>
                                <div>
                                    <strong>{move || label(i18n, "action", &action)}</strong>
                                    " → "
                                    <StateBadge state=to/>
                                    {e.amount_fen.map(|f| view! { <span class="amount">{move || yuan(i18n, f)}</span> })}
                                </div>
                                {e.comment.clone().filter(|c| c != "green_channel").map(|c| view! { <p class="comment">{c}</p> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </section>
        </Deferred>
    }
}

/// Whether the viewer sees the people in full, how they got in, and the
/// print and read-log links.
#[component]
fn PrivacyNotes(detail: CaseDetail, show_reads: bool) -> impl IntoView {
    let i18n = use_i18n();
    let id = detail.id;
    view! {
        <div class="privacy-notes" data-testid="privacy-notes">
            {detail.protected.then(|| view! { <p class="muted">{i18n.text(Key::PrivacyProtectedNote)}</p> })}
            {(!detail.full_details).then(|| view! { <p class="muted" data-testid="masked-note">{i18n.text(Key::PrivacyMaskedNote)}</p> })}
            {detail.access_expires_at.map(|until| {
                let until = format_china_datetime(until);
                view! { <p class="notice" data-testid="access-until">{move || i18n.t_with(Key::PrivacyAccessUntil, &[("until", &until)])}</p> }
            })}
            {detail.archived_at.map(|_| view! { <p class="muted">{i18n.text(Key::PrivacyArchived)}</p> })}
            <div class="actions no-print">
                <a class="button" href=format!("/cases/{id}/print") data-testid="print-link">{i18n.text(Key::PrivacyPrintCase)}</a>
                {(detail.protected && show_reads).then(|| view! {
                    <a class="button" href=format!("/cases/{id}/reads") data-testid="reads-link">{i18n.text(Key::PrivacyReads)}</a>
                })}
            </div>
        </div>
    }
}

/// A supervisor confirms the green channel the officer asked for, or turns it down with a reason.
#[component]
fn DecideGreenChannel<F>(case_id: i64, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let error = RwSignal::new(None::<String>);
    let reason = RwSignal::new(String::new());
    let report = move |result: Result<CaseDetail, api::ApiError>| match result {
        Ok(_) => on_change(),
        Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
    };
    let confirm =
        Action::new(move |_: &()| async move { report(api::confirm_green_channel(case_id).await) });
    let decline = Action::new(move |reason: &String| {
        let input = DeclineGreenChannel {
            reason: reason.clone(),
        };
        async move { report(api::decline_green_channel(case_id, &input).await) }
    });
    view! {
        <div class="confirm-green" data-testid="green-channel-decision">
            <button type="button" class="primary" on:click=move |_| { confirm.dispatch(()); }>{i18n.text(Key::CaseConfirmGreenChannel)}</button>
            <form class="inline-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); decline.dispatch(reason.get_untracked()); }>
                <label>
                    <span>{i18n.text(Key::CaseGreenChannelDeclineReason)}</span>
                    <input name="green_channel_reason" required bind:value=reason/>
                </label>
                <button type="submit">{i18n.text(Key::CaseDeclineGreenChannel)}</button>
            </form>
            <p class="error" role="alert">{move || error.get()}</p>
        </div>
    }
}

#[component]
fn Person(person: PersonView) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="person">
            <strong>{person.name.clone()}</strong>
            <div class="badges"><GroupBadges groups=person.priority_groups.clone()/></div>
            <dl class="facts">
                {person.id_number.clone().map(|n| view! { <dt>{i18n.text(Key::CaseIdNumber)}</dt><dd>{n}</dd> })}
                {person.phone.clone().map(|p| view! { <dt>{i18n.text(Key::CasePhone)}</dt><dd>{p}</dd> })}
                <dt>{i18n.text(Key::CaseVillage)}</dt><dd>{person.village.name.clone()}</dd>
            </dl>
        </div>
    }
}

/// One action the viewer may take: a button, with a form when it needs an amount or a comment.
#[component]
fn ActionForm<F>(case_id: i64, action: CaseAction, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    // Read when the form is sent: bound to signals, the fields would lose what
    // was typed before this part hydrated.
    let amount = NodeRef::<leptos::html::Input>::new();
    let comment = NodeRef::<leptos::html::Textarea>::new();
    let error = RwSignal::new(None::<String>);
    let submit = Action::new(move |input: &TransitionRequest| {
        let input = input.clone();
        async move {
            match api::transition_case(case_id, &input).await {
                Ok(_) => {
                    error.set(None);
                    on_change();
                }
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let needs_form = action.needs_amount() || action.needs_comment();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let amount_fen = if action.needs_amount() {
            // Typed in yuan, checked with the same rule the server uses.
            let typed = amount
                .get_untracked()
                .map(|f| f.value())
                .unwrap_or_default();
            match Fen::parse_yuan(&typed) {
                Ok(fen) => match domain::case::validate_aid_amount(fen.0) {
                    Ok(()) => Some(fen.0),
                    Err(e) => {
                        error.set(Some(i18n.error_text(e.code, e.message)));
                        return;
                    }
                },
                Err(_) => {
                    error.set(Some(i18n.error_text("invalid_amount", "")));
                    return;
                }
            }
        } else {
            None
        };
        let text = comment
            .get_untracked()
            .map(|f| f.value())
            .unwrap_or_default();
        submit.dispatch(TransitionRequest {
            action,
            amount_fen,
            comment: (!text.trim().is_empty()).then_some(text),
        });
    };
    let name = action.as_str();
    view! {
        // `method="dialog"`: sent before its part hydrated, the form does
        // nothing (outside a dialog), instead of putting the text in a URL.
        <form method="dialog" class="stack action-form" on:submit=on_submit data-action=name>
            {action.needs_amount().then(|| view! {
                <label>
                    <span>{i18n.text(Key::CaseAmountYuan)}</span>
                    <input name="amount" inputmode="decimal" required node_ref=amount/>
                </label>
            })}
            {needs_form.then(|| view! {
                <label>
                    <span>{move || if action.needs_amount() { i18n.t(Key::CaseReasoning) } else { i18n.t(Key::CaseComment) }}</span>
                    <textarea name="comment" rows="3" required node_ref=comment></textarea>
                </label>
            })}
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" class:primary=matches!(action, CaseAction::Approve | CaseAction::Propose) disabled=move || submit.pending().get()>
                {move || label(i18n, "action", name)}
            </button>
        </form>
    }
}
