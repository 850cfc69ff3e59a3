//! Need to know in the interface: the break-the-glass form on a child's case,
//! the printable case (redacted, or in full for a stated purpose), and for
//! supervisors the grants and who read a case.

use domain::api::privacy::{AccessGrant, AccessRequest, CasePrint, DisclosureRequest};
use domain::date::format_china_datetime;
use domain::privacy::{GrantKind, MIN_REASON_CHARS};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api;
use crate::components::labels::{label, yuan, GroupBadges, StateBadge};
use crate::i18n::{use_i18n, Key};

/// Shown instead of a child's case to someone outside its team: state why,
/// and the case opens for a limited time (the reason is kept and audited).
#[component]
pub fn BreakGlass<F>(case_id: i64, on_granted: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = Action::new(move |reason: &String| {
        let input = AccessRequest {
            reason: reason.clone(),
        };
        async move {
            match api::privacy::break_glass(case_id, &input).await {
                Ok(_) => on_granted(),
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let min = MIN_REASON_CHARS.to_string();
    view! {
        <section class="card" data-testid="break-glass">
            <h1>{i18n.text(Key::PrivacyProtectedTitle)}</h1>
            <p>{i18n.text(Key::PrivacyProtectedIntro)}</p>
            <form class="stack" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); submit.dispatch(reason.get_untracked()); }>
                <label>
                    <span>{move || i18n.t_with(Key::PrivacyReason, &[("min", &min)])}</span>
                    <textarea name="reason" rows="3" required bind:value=reason></textarea>
                </label>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || submit.pending().get()>{i18n.text(Key::PrivacyBreakGlass)}</button>
            </form>
        </section>
    }
}

fn print_page() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}

/// `/cases/:id/print`: the case on paper. Redacted unless `?disclosure=ID`
/// names a grant the team got by stating a purpose.
#[component]
pub fn CasePrintPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let id = params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0);
        let disclosure = query
            .read()
            .get("disclosure")
            .and_then(|d| d.parse::<i64>().ok());
        (id, disclosure)
    };
    let print = Resource::new(key, |(id, disclosure)| {
        api::privacy::print_case(id, disclosure)
    });
    view! {
        <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match print.await {
                    Ok(p) => view! { <PrintView p/> }.into_any(),
                    Err(e) => view! { <p class="card error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PrintView(p: CasePrint) -> impl IntoView {
    let i18n = use_i18n();
    let c = p.case;
    let case_id = c.id;
    let full = p.full;
    let purpose = p.purpose.clone().unwrap_or_default();
    let printed = format!(
        "{} · {}",
        p.printed_by.name,
        format_china_datetime(p.printed_at)
    );
    let channel = c.channel.as_str();
    let people = std::iter::once((None, c.applicant.clone()))
        .chain(c.agent.clone().map(|a| (c.agent_relationship.clone(), a)))
        .collect::<Vec<_>>();
    view! {
        <article class="card case-print" data-testid="case-print" data-full=full.to_string()>
            <div class="case-head">
                <h1>{c.number.clone()}</h1>
                <StateBadge state=c.state/>
            </div>
            <p class="print-mark" data-testid="print-mark">
                {move || if full { i18n.t_with(Key::PrivacyPrintFull, &[("purpose", &purpose)]) } else { i18n.t(Key::PrivacyPrintRedacted).to_string() }}
            </p>
            <p class="muted">{move || i18n.t_with(Key::PrivacyPrintedBy, &[("who", &printed)])}</p>
            <dl class="facts">
                <dt>{i18n.text(Key::CaseChannel)}</dt><dd>{move || label(i18n, "channel", channel)}</dd>
                <dt>{i18n.text(Key::CaseVillage)}</dt><dd>{c.village.name.clone()}</dd>
                <dt>{i18n.text(Key::CaseOfficer)}</dt><dd>{c.officer.name.clone()}</dd>
                {c.criminal_case_ref.clone().map(|r| view! { <dt>{i18n.text(Key::CaseCriminalCase)}</dt><dd>{r}</dd> })}
                {c.proposed_amount_fen.map(|f| view! { <dt>{i18n.text(Key::CaseProposedAmount)}</dt><dd>{move || yuan(i18n, f)}</dd> })}
                {c.approved_amount_fen.map(|f| view! { <dt>{i18n.text(Key::CaseApprovedAmount)}</dt><dd>{move || yuan(i18n, f)}</dd> })}
            </dl>
            {(!c.summary.is_empty()).then(|| view! { <p>{c.summary.clone()}</p> })}
            {people.into_iter().map(|(relationship, person)| view! {
                <div class="person">
                    <strong>{person.name.clone()}</strong>
                    {relationship.map(|r| view! { <span class="muted">" ("{r}")"</span> })}
                    <GroupBadges groups=person.priority_groups.clone()/>
                    <dl class="facts">
                        {person.id_number.clone().map(|n| view! { <dt>{i18n.text(Key::CaseIdNumber)}</dt><dd>{n}</dd> })}
                        {person.phone.clone().map(|n| view! { <dt>{i18n.text(Key::CasePhone)}</dt><dd>{n}</dd> })}
                        <dt>{i18n.text(Key::CaseVillage)}</dt><dd>{person.village.name.clone()}</dd>
                    </dl>
                </div>
            }).collect_view()}
            {c.proposal_reasoning.clone().map(|r| view! { <p>{r}</p> })}
            <h2>{i18n.text(Key::CaseTimeline)}</h2>
            <table class="money-timeline">
                <tbody>
                    {c.timeline.iter().map(|e| {
                        let action = e.action.clone();
                        view! {
                            <tr>
                                <td>{format_china_datetime(e.at)}</td>
                                <td>{e.actor.name.clone()}</td>
                                <td>{move || label(i18n, "action", &action)}</td>
                                <td>{e.amount_fen.map(|f| view! { <span>{move || yuan(i18n, f)}</span> })}</td>
                                <td>{e.comment.clone().filter(|c| c != "green_channel")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <div class="actions no-print">
                <button type="button" class="primary" on:click=move |_| print_page()>{i18n.text(Key::PrivacyPrint)}</button>
                <A href=format!("/cases/{case_id}")>{i18n.text(Key::PrivacyBackToCase)}</A>
            </div>
        </article>
        {(c.can_print_full && !full).then(|| view! { <FullPrintForm case_id/> })}
    }
}

/// The team asks for the full print: a purpose, then the print view with the grant.
#[component]
fn FullPrintForm(case_id: i64) -> impl IntoView {
    let navigate = use_navigate();
    let grant = move |purpose: String| {
        let input = DisclosureRequest {
            purpose,
            what: GrantKind::Print,
        };
        api::privacy::request_disclosure(case_id, &input)
    };
    let opened = move |grant: AccessGrant, _choice: &'static str| {
        navigate(
            &format!("/cases/{case_id}/print?disclosure={}", grant.id),
            Default::default(),
        )
    };
    view! {
        <PurposeForm testid="full-print" summary=Key::PrivacyFullPrint intro=None
            choices=vec![("print", Key::PrivacyFullPrintSubmit)] grant opened/>
    }
}

/// Asks the purpose of a full disclosure: a folded form with a purpose and one
/// submit button per choice (say, XLSX or CSV). On submit it asks for the
/// grant and hands it to `opened` with the choice; a refusal shows its reason.
#[component]
pub fn PurposeForm<G, Fut, O>(
    testid: &'static str,
    summary: Key,
    intro: Option<Key>,
    /// (value, label) of each submit button.
    choices: Vec<(&'static str, Key)>,
    grant: G,
    opened: O,
) -> impl IntoView
where
    G: Fn(String) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<AccessGrant, crate::api::ApiError>> + Send + 'static,
    O: Fn(AccessGrant, &'static str) + Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let purpose = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = Action::new(move |(purpose, choice): &(String, &'static str)| {
        let request = grant(purpose.clone());
        let choice = *choice;
        let opened = opened.clone();
        async move {
            match request.await {
                Ok(grant) => {
                    error.set(None);
                    opened(grant, choice);
                }
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let min = MIN_REASON_CHARS.to_string();
    // The button pressed; its click comes before the submit (also for Enter,
    // which presses the first button).
    let choice = RwSignal::new(choices.first().map_or("", |(value, _)| *value));
    view! {
        <details class="card no-print" data-testid=testid>
            <summary>{move || i18n.t(summary)}</summary>
            {intro.map(|key| view! { <p class="muted">{move || i18n.t(key)}</p> })}
            <form class="stack" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                submit.dispatch((purpose.get_untracked(), choice.get_untracked()));
            }>
                <label>
                    <span>{move || i18n.t_with(Key::PrivacyPurpose, &[("min", &min)])}</span>
                    <textarea name="purpose" rows="2" required bind:value=purpose></textarea>
                </label>
                <p class="error" role="alert">{move || error.get()}</p>
                <div class="actions">
                    {choices.into_iter().map(|(value, label)| view! {
                        <button type="submit" value=value on:click=move |_| choice.set(value) disabled=move || submit.pending().get()>{move || i18n.t(label)}</button>
                    }).collect_view()}
                </div>
            </form>
        </details>
    }
}

/// `/access`: break-the-glass grants and full disclosures, newest first (supervisors).
#[component]
pub fn AccessGrantsPage() -> impl IntoView {
    let i18n = use_i18n();
    let grants = Resource::new(|| (), |_| api::privacy::list_grants());
    view! {
        <section class="card" data-testid="access-grants">
            <h1>{i18n.text(Key::PrivacyGrantsTitle)}</h1>
            <p class="muted">{i18n.text(Key::PrivacyGrantsIntro)}</p>
            <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
                {move || Suspend::new(async move {
                    match grants.await {
                        Ok(list) if list.is_empty() => view! { <p>{i18n.text(Key::PrivacyNoGrants)}</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="money-timeline">
                                <thead><tr>
                                    <th>{i18n.text(Key::PrivacyWhen)}</th>
                                    <th>{i18n.text(Key::PrivacyWho)}</th>
                                    <th>{i18n.text(Key::PrivacyCase)}</th>
                                    <th>{i18n.text(Key::PrivacyKind)}</th>
                                    <th>{i18n.text(Key::PrivacyReasonColumn)}</th>
                                    <th>{i18n.text(Key::PrivacyUntil)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|g| {
                                        let kind = g.kind.as_str();
                                        let active = g.active;
                                        view! {
                                            <tr class:expired=!active>
                                                <td>{format_china_datetime(g.granted_at)}</td>
                                                <td>{g.user.name.clone()}</td>
                                                <td>{g.case_id.map(|id| view! { <A href=format!("/cases/{id}/reads")>{g.case_number.clone().unwrap_or_default()}</A> })}</td>
                                                <td>{move || label(i18n, "privacy.kind", kind)}</td>
                                                <td>{g.reason.clone()}</td>
                                                <td>
                                                    {format_china_datetime(g.expires_at)}
                                                    {(!active).then(|| view! { " " <span class="muted">{i18n.text(Key::PrivacyExpired)}</span> })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/cases/:id/reads`: who looked at a child's file, how and from where (supervisors).
#[component]
pub fn CaseReadsPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let reads = Resource::new(id, api::privacy::case_reads);
    view! {
        <section class="card" data-testid="case-reads">
            <h1>{i18n.text(Key::PrivacyReadsTitle)}</h1>
            <A href=move || format!("/cases/{}", id())>{i18n.text(Key::PrivacyBackToCase)}</A>
            <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
                {move || Suspend::new(async move {
                    match reads.await {
                        Ok(list) if list.is_empty() => view! { <p>{i18n.text(Key::PrivacyNoReads)}</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="money-timeline">
                                <thead><tr>
                                    <th>{i18n.text(Key::PrivacyWhen)}</th>
                                    <th>{i18n.text(Key::PrivacyWho)}</th>
                                    <th>{i18n.text(Key::PrivacyWhat)}</th>
                                    <th>{i18n.text(Key::PrivacyFrom)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| {
                                        let what = r.what.as_str();
                                        let full = r.full_details;
                                        let via_grant = r.grant_id.is_some();
                                        view! {
                                            <tr>
                                                <td>{format_china_datetime(r.at)}</td>
                                                <td>{r.user.name.clone()}</td>
                                                <td>
                                                    {move || label(i18n, "privacy.read", what)}
                                                    {full.then(|| view! { " · " {i18n.text(Key::PrivacyFullDetails)} })}
                                                    {via_grant.then(|| view! { " · " {i18n.text(Key::PrivacyViaGrant)} })}
                                                </td>
                                                <td>{r.client_addr.clone().unwrap_or_default()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
