//! Aid leads: the open ones with accept and decline, and the form to log a new one.

use domain::api::{AcceptLead, DeclineLead, LeadView, NewLead, PersonInput};
use domain::case::{Channel, LeadStatus, PriorityGroup};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::components::fields::{FieldErrors, FieldMessage, VillageSelect};
use crate::components::labels::{label, GroupBadges};
use crate::i18n::{use_i18n, Key};

#[component]
pub fn LeadsPage() -> impl IntoView {
    let i18n = use_i18n();
    // Open leads first: they are the officer's work queue.
    let status = RwSignal::new(LeadStatus::Open.as_str().to_string());
    let channel = RwSignal::new(String::new());
    let leads = Resource::new(
        move || (status.get(), channel.get()),
        |(status, channel)| {
            let mut query = Vec::new();
            if !status.is_empty() {
                query.push(format!("status={status}"));
            }
            if !channel.is_empty() {
                query.push(format!("channel={channel}"));
            }
            api::list_leads(query.join("&"))
        },
    );
    view! {
        <section class="card">
            <div class="case-head">
                <h1>{i18n.text(Key::LeadsTitle)}</h1>
                <div class="lead-actions">
                    <A href="/screening" attr:class="button">{i18n.text(Key::ScreeningLink)}</A>
                    <A href="/leads/new" attr:class="button primary">{i18n.text(Key::LeadsNew)}</A>
                </div>
            </div>
            <div class="filters">
                <select name="lead_status" aria-label=i18n.text(Key::CasesAnyState) bind:value=status>
                    <option value="">{i18n.text(Key::CasesAnyState)}</option>
                    {LeadStatus::ALL.iter().map(|s| s.as_str()).map(|s| view! {
                        <option value=s>{move || label(i18n, "lead_status", s)}</option>
                    }).collect_view()}
                </select>
                <select name="lead_channel" aria-label=i18n.text(Key::CasesAnyChannel) bind:value=channel>
                    <option value="">{i18n.text(Key::CasesAnyChannel)}</option>
                    {Channel::ALL.iter().map(|c| view! { <option value=c.as_str()>{move || label(i18n, "channel", c.as_str())}</option> }).collect_view()}
                </select>
            </div>
        </section>
        <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match leads.await {
                    Ok(list) if list.is_empty() => view! { <p class="card muted">{i18n.text(Key::LeadsEmpty)}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="case-list" data-testid="lead-list">
                            {list.into_iter().map(|lead| view! { <LeadItem lead on_change=move || leads.refetch()/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LeadItem<F>(lead: LeadView, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let navigate = use_navigate();
    let id = lead.id;
    let green = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let criminal_case = RwSignal::new(String::new());
    let applicant = RwSignal::new("0".to_string());
    let agent = RwSignal::new(String::new());
    let relationship = RwSignal::new(String::new());
    let accept = Action::new(move |green_channel: &bool| {
        let reference = criminal_case.get_untracked();
        let agent_index = agent.get_untracked().parse::<usize>().ok();
        let input = AcceptLead {
            green_channel: *green_channel,
            criminal_case_ref: Some(reference).filter(|r| !r.trim().is_empty()),
            applicant_index: applicant.get_untracked().parse().unwrap_or(0),
            agent_index,
            agent_relationship: agent_index
                .map(|_| relationship.get_untracked())
                .filter(|r| !r.trim().is_empty()),
        };
        let navigate = navigate.clone();
        async move {
            match api::accept_lead(id, &input).await {
                Ok(case) => navigate(&format!("/cases/{}", case.id), Default::default()),
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let decline = Action::new(move |reason: &String| {
        let input = DeclineLead {
            reason: reason.clone(),
        };
        async move {
            match api::decline_lead(id, &input).await {
                Ok(_) => on_change(),
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let channel = lead.channel.as_str();
    let status = lead.status.as_str();
    let open = lead.status == LeadStatus::Open;
    let case_id = lead.case_id;
    let decline_reason = lead.decline_reason.clone();
    // With several people, the officer says who applies and who acts for them.
    let names: Vec<String> = lead.people.iter().map(|p| p.name.clone()).collect();
    let several = names.len() > 1;
    view! {
        <li class="card lead-item" data-lead=id>
            <div class="case-head">
                <strong>{move || label(i18n, "channel", channel)}</strong>
                <span class="muted">{lead.received_on.clone()}</span>
            </div>
            {lead.people.iter().map(|p| view! {
                <div>{p.name.clone()}" · "{p.village.name.clone()}" "<GroupBadges groups=p.priority_groups.clone()/></div>
            }).collect_view()}
            <p>{lead.summary.clone()}</p>
            {(!open).then(|| view! {
                <div class="lead-outcome">
                    <span class=format!("badge lead-{status}")>{move || label(i18n, "lead_status", status)}</span>
                    {case_id.map(|id| view! { <A href=format!("/cases/{id}")>{i18n.text(Key::LeadsViewCase)}</A> })}
                    {decline_reason.clone().map(|r| view! { <p class="comment">{r}</p> })}
                </div>
            })}
            <Show when=move || open>
            <p class="error" role="alert">{move || error.get()}</p>
            <label>
                <span>{i18n.text(Key::LeadsCriminalCase)}</span>
                <input name="criminal_case_ref" bind:value=criminal_case/>
            </label>
            {several.then(|| {
                let applicant_names = names.clone();
                let agent_names = names.clone();
                view! {
                    <label>
                        <span>{i18n.text(Key::LeadsApplicant)}</span>
                        <select name="applicant" bind:value=applicant>
                            {applicant_names.into_iter().enumerate().map(|(i, n)| view! { <option value=i.to_string()>{n}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>
                        <span>{i18n.text(Key::LeadsAgent)}</span>
                        <select name="agent" bind:value=agent>
                            <option value="">{i18n.text(Key::LeadsNoAgent)}</option>
                            {agent_names.into_iter().enumerate().map(|(i, n)| view! { <option value=i.to_string()>{n}</option> }).collect_view()}
                        </select>
                    </label>
                    <Show when=move || !agent.get().is_empty()>
                        <label>
                            <span>{i18n.text(Key::LeadsRelationship)}</span>
                            <input name="agent_relationship" required bind:value=relationship/>
                        </label>
                    </Show>
                }
            })}
            <div class="lead-actions">
                <label class="check">
                    <input type="checkbox" prop:checked=move || green.get() on:change=move |ev| green.set(event_target_checked(&ev))/>
                    <span>{i18n.text(Key::LeadsGreenChannel)}</span>
                </label>
                <button type="button" class="primary" on:click=move |_| { accept.dispatch(green.get_untracked()); }>{i18n.text(Key::LeadsAccept)}</button>
            </div>
            <form class="inline-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); decline.dispatch(reason.get_untracked()); }>
                <label>
                    <span>{i18n.text(Key::LeadsDeclineReason)}</span>
                    <input name="reason" required bind:value=reason/>
                </label>
                <button type="submit">{i18n.text(Key::LeadsDecline)}</button>
            </form>
            </Show>
        </li>
    }
}

#[component]
pub fn NewLeadPage() -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let channel = RwSignal::new(Channel::Hotline12309.as_str().to_string());
    let detail = RwSignal::new(String::new());
    let received_on = RwSignal::new(String::new());
    let reporter = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let people = RwSignal::new(vec![PersonFields::new(0)]);
    let next_key = StoredValue::new(1usize);
    let error = RwSignal::new(None::<String>);
    let field_errors: FieldErrors = RwSignal::new(None);
    let duplicates = RwSignal::new(Vec::<String>::new());
    let clear_errors = move || {
        error.set(None);
        field_errors.set(None);
        for person in people.get_untracked() {
            person.errors.set(None);
        }
    };

    let save = Action::new(move |input: &NewLead| {
        let input = input.clone();
        let navigate = navigate.clone();
        async move {
            match api::create_lead(&input).await {
                Ok(_) => navigate("/leads", Default::default()),
                Err(e) => {
                    duplicates.set(
                        e.duplicates
                            .iter()
                            .map(|d| format!("{} · {}", d.person_name, d.label))
                            .collect(),
                    );
                    let text = i18n.error_text(&e.code, &e.message);
                    // Next to the field when the form has it in one place only.
                    let list = people.get_untracked();
                    match e.field.as_deref() {
                        Some(f @ ("channel_detail" | "received_on" | "reporter" | "summary")) => {
                            field_errors.set(Some((f.to_string(), text)))
                        }
                        Some(f @ ("name" | "id_number" | "village_id" | "phone"))
                            if list.len() == 1 =>
                        {
                            list[0].errors.set(Some((f.to_string(), text)))
                        }
                        _ => error.set(Some(text)),
                    }
                }
            }
        }
    });
    let build = move |confirm_duplicate: bool| {
        let opt = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.trim().is_empty());
        NewLead {
            channel: Channel::parse(&channel.get_untracked()).unwrap_or(Channel::Other),
            channel_detail: opt(detail),
            received_on: received_on.get_untracked(),
            reporter: reporter.get_untracked(),
            summary: summary.get_untracked(),
            people: people
                .get_untracked()
                .iter()
                .map(|p| PersonInput {
                    name: p.name.get_untracked(),
                    id_number: opt(p.id_number),
                    village_id: p.village_id.get_untracked().parse().unwrap_or(0),
                    phone: opt(p.phone),
                    priority_groups: p.groups.get_untracked(),
                })
                .collect(),
            confirm_duplicate,
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        clear_errors();
        // The same check digit rule the server applies, before anything is sent.
        for person in people.get_untracked() {
            let id = person.id_number.get_untracked();
            if id.trim().is_empty() {
                continue;
            }
            if let Err(e) = domain::idcard::ResidentId::parse(&id) {
                let code = match e {
                    domain::idcard::ResidentIdError::Format => "id_number_format",
                    domain::idcard::ResidentIdError::Checksum => "id_number_checksum",
                };
                person
                    .errors
                    .set(Some(("id_number".into(), i18n.error_text(code, ""))));
                return;
            }
        }
        duplicates.set(Vec::new());
        save.dispatch(build(false));
    };

    view! {
        <section class="card">
            <h1>{i18n.text(Key::LeadsNew)}</h1>
            <form class="stack" on:submit=on_submit data-testid="new-lead">
                <label>
                    <span>{i18n.text(Key::LeadsChannel)}</span>
                    <select name="channel" bind:value=channel>
                        {Channel::ALL.iter().map(|c| view! { <option value=c.as_str()>{move || label(i18n, "channel", c.as_str())}</option> }).collect_view()}
                    </select>
                </label>
                <Show when=move || channel.get() == Channel::InternalReferral.as_str()>
                    <label>
                        <span>{i18n.text(Key::LeadsDepartment)}</span>
                        <input name="channel_detail" bind:value=detail/>
                        <FieldMessage field="channel_detail" errors=field_errors/>
                    </label>
                </Show>
                <label>
                    <span>{i18n.text(Key::LeadsReceivedOn)}</span>
                    <input name="received_on" type="date" required bind:value=received_on/>
                    <FieldMessage field="received_on" errors=field_errors/>
                </label>
                <label>
                    <span>{i18n.text(Key::LeadsReporter)}</span>
                    <input name="reporter" required bind:value=reporter/>
                    <FieldMessage field="reporter" errors=field_errors/>
                </label>
                <label>
                    <span>{i18n.text(Key::LeadsSummary)}</span>
                    <textarea name="summary" rows="4" required bind:value=summary></textarea>
                    <FieldMessage field="summary" errors=field_errors/>
                </label>
                <For each=move || people.get().into_iter().enumerate() key=|(_, p)| p.key let:item>
                    <PersonFieldset index=item.0 person=item.1 on_remove=move |key| people.update(|list| list.retain(|p| p.key != key))/>
                </For>
                <button type="button" on:click=move |_| {
                    let key = next_key.get_value();
                    next_key.set_value(key + 1);
                    people.update(|list| list.push(PersonFields::new(key)));
                }>{i18n.text(Key::LeadsAddPerson)}</button>
                <p class="error" role="alert">{move || error.get()}</p>
                <Show when=move || !duplicates.get().is_empty()>
                    <div class="duplicates" data-testid="duplicates">
                        <p>{i18n.text(Key::LeadsDuplicate)}</p>
                        <ul>{move || duplicates.get().into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                        <button type="button" on:click=move |_| { save.dispatch(build(true)); }>{i18n.text(Key::LeadsSaveAnyway)}</button>
                    </div>
                </Show>
                <button type="submit" class="primary" disabled=move || save.pending().get()>{i18n.text(Key::LeadsSave)}</button>
            </form>
        </section>
    }
}

/// The fields of one person on the new-lead form.
#[derive(Clone, Copy)]
struct PersonFields {
    /// Stable while the list changes, so removing one keeps the others' input.
    key: usize,
    name: RwSignal<String>,
    id_number: RwSignal<String>,
    village_id: RwSignal<String>,
    phone: RwSignal<String>,
    groups: RwSignal<Vec<PriorityGroup>>,
    /// A message for one of this person's fields.
    errors: FieldErrors,
    /// Leads and cases that may be about the same person: a warning, not a block.
    matches: RwSignal<Vec<domain::facts::PersonMatch>>,
}

impl PersonFields {
    fn new(key: usize) -> Self {
        PersonFields {
            key,
            name: RwSignal::new(String::new()),
            id_number: RwSignal::new(String::new()),
            village_id: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
            groups: RwSignal::new(Vec::new()),
            errors: RwSignal::new(None),
            matches: RwSignal::new(Vec::new()),
        }
    }
}

#[component]
fn PersonFieldset<F>(index: usize, person: PersonFields, on_remove: F) -> impl IntoView
where
    F: Fn(usize) + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let PersonFields {
        key,
        name,
        id_number,
        village_id,
        phone,
        groups,
        errors,
        matches,
    } = person;
    let number = (index + 1).to_string();
    // Asks whether the same person is already known (same ID number, or same
    // name in the same village) once enough is typed; a warning, never a block.
    let check = Action::new(
        move |query: &(Option<String>, Option<String>, Option<i64>)| {
            let (id, name, village) = query.clone();
            async move {
                // Offline or refused: no warning, the server still checks on save.
                matches.set(
                    api::person_matches(id, name, village)
                        .await
                        .unwrap_or_default(),
                );
            }
        },
    );
    let look_up = move || {
        let id = domain::idcard::ResidentId::parse(id_number.get_untracked().trim())
            .ok()
            .map(|r| r.as_str().to_string());
        let who = name.get_untracked().trim().to_string();
        let village = village_id
            .get_untracked()
            .parse::<i64>()
            .ok()
            .filter(|_| !who.is_empty());
        if id.is_none() && village.is_none() {
            matches.set(Vec::new());
            return;
        }
        check.dispatch((id, village.map(|_| who), village));
    };
    Effect::new(move |_| {
        village_id.track();
        look_up();
    });
    view! {
        <fieldset class="stack" data-person=index>
            <legend>
                {move || if index == 0 { i18n.t(Key::LeadsPerson).to_string() } else { i18n.t_with(Key::LeadsPersonN, &[("n", &number)]) }}
            </legend>
            <label>
                <span>{i18n.text(Key::LeadsName)}</span>
                <input name="name" required bind:value=name on:change=move |_| look_up()/>
                <FieldMessage field="name" errors/>
            </label>
            <label>
                <span>{i18n.text(Key::LeadsIdNumber)}</span>
                <input name="id_number" autocapitalize="characters" maxlength="18" bind:value=id_number on:change=move |_| look_up()/>
                <FieldMessage field="id_number" errors/>
            </label>
            <label>
                <span>{i18n.text(Key::CaseVillage)}</span>
                <VillageSelect value=village_id/>
                <FieldMessage field="village_id" errors/>
            </label>
            <label>
                <span>{i18n.text(Key::LeadsPhone)}</span>
                <input name="phone" type="tel" inputmode="tel" bind:value=phone/>
                <FieldMessage field="phone" errors/>
            </label>
            <div class="groups" role="group" aria-label=i18n.text(Key::LeadsGroups)>
                <span class="muted">{i18n.text(Key::LeadsGroups)}</span>
                {PriorityGroup::ALL.iter().map(|g| {
                    let g = *g;
                    view! {
                        <label class="check">
                            <input type="checkbox" name="group" value=g.as_str()
                                prop:checked=move || groups.get().contains(&g)
                                on:change=move |ev| groups.update(|list| {
                                    list.retain(|x| *x != g);
                                    if event_target_checked(&ev) { list.push(g); }
                                })/>
                            <span>{move || label(i18n, "group", g.as_str())}</span>
                        </label>
                    }
                }).collect_view()}
            </div>
            <Show when=move || !matches.get().is_empty()>
                <div class="duplicates" data-testid="person-matches" role="status">
                    <p>{i18n.text(Key::LeadsMatches)}</p>
                    <ul>
                        {move || matches.get().into_iter().map(|m| {
                            let is_case = m.kind == "case";
                            let what = if is_case {
                                i18n.t_with(Key::LeadsMatchCase, &[("label", &m.label)])
                            } else {
                                i18n.t_with(Key::LeadsMatchLead, &[("label", &m.label)])
                            };
                            let status = label(i18n, if is_case { "state" } else { "lead_status" }, &m.status);
                            let by = i18n.t(if m.matched_by == "id_number" { Key::LeadsMatchById } else { Key::LeadsMatchByName });
                            let href = format!("/cases/{}", m.id);
                            view! {
                                <li>
                                    {m.person_name}" · "{m.village}" · "
                                    {if is_case { view! { <a href=href>{what}</a> }.into_any() } else { view! { <span>{what}</span> }.into_any() }}
                                    " · "{status}" ("{by}")"
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            </Show>
            {(index > 0).then(|| view! {
                <button type="button" class="link" on:click=move |_| on_remove(key)>{i18n.text(Key::LeadsRemovePerson)}</button>
            })}
        </fieldset>
    }
}
