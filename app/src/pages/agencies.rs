//! `/admin/agencies`: the partner agencies of the "1+N" network and the
//! services each offers, kept by an admin.

use domain::api::{Agency, AgencyServices, NewAgency};
use domain::referral::{Service, AGENCY_KINDS};
use leptos::prelude::*;

use crate::api;
use crate::components::labels::label;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn AgenciesPage() -> impl IntoView {
    let i18n = use_i18n();
    let agencies = Resource::new(|| (), |_| api::list_agencies());
    let notice = RwSignal::new(None::<String>);
    let reload = move || agencies.refetch();
    view! {
        <section class="card">
            <h1>{i18n.text(Key::AgenciesTitle)}</h1>
            <p class="muted">{i18n.text(Key::AgenciesIntro)}</p>
            <p class="notice" role="status" data-testid="agencies-notice">{move || notice.get()}</p>
        </section>
        <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match agencies.await {
                    Ok(list) if list.is_empty() => view! { <p class="card muted">{i18n.text(Key::AgenciesEmpty)}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="stack" data-testid="agencies">
                            {list.into_iter().map(|agency| view! { <li><AgencyCard agency notice/></li> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="card error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
        <AddAgencyForm notice reload/>
    }
}

/// The services of `chosen`, as checkboxes bound to it.
#[component]
fn ServiceChecks(chosen: RwSignal<Vec<Service>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <fieldset class="service-checks">
            <legend>{i18n.text(Key::AgenciesServices)}</legend>
            {Service::ALL.iter().map(|s| {
                let s = *s;
                view! {
                    <label class="check">
                        <input type="checkbox" name="service" value=s.as_str()
                            prop:checked=move || chosen.with(|c| c.contains(&s))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|c| {
                                    c.retain(|x| *x != s);
                                    if on {
                                        c.push(s);
                                    }
                                });
                            }/>
                        <span>{move || label(i18n, "service", s.as_str())}</span>
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// One agency: its kind, and its services to tick and save.
#[component]
fn AgencyCard(agency: Agency, notice: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let chosen = RwSignal::new(agency.services.clone());
    let name = StoredValue::new(agency.name.clone());
    let id = agency.id;
    let save = Action::new(move |services: &Vec<Service>| {
        let input = AgencyServices {
            services: services.clone(),
        };
        async move {
            match api::set_agency_services(id, &input).await {
                Ok(saved) => {
                    chosen.set(saved.services);
                    notice.set(Some(
                        i18n.t_with(Key::AgenciesSaved, &[("name", &name.get_value())]),
                    ));
                }
                Err(e) => notice.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let kind = agency.kind.clone();
    view! {
        <article class="card" data-testid="agency" data-agency=agency.name.clone()>
            <h2>{agency.name.clone()}</h2>
            <p class="muted">{move || label(i18n, "agency_kind", &kind)}</p>
            <form class="stack" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save.dispatch(chosen.get_untracked());
            }>
                <ServiceChecks chosen/>
                <button type="submit" disabled=move || save.pending().get()>{i18n.text(Key::AgenciesSaveServices)}</button>
            </form>
        </article>
    }
}

#[component]
fn AddAgencyForm<R>(notice: RwSignal<Option<String>>, reload: R) -> impl IntoView
where
    R: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(AGENCY_KINDS[0].to_string());
    let chosen = RwSignal::new(Vec::<Service>::new());
    let error = RwSignal::new(None::<String>);
    let create = Action::new(move |input: &NewAgency| {
        let input = input.clone();
        async move {
            match api::create_agency(&input).await {
                Ok(agency) => {
                    error.set(None);
                    notice.set(Some(
                        i18n.t_with(Key::AgenciesAdded, &[("name", &agency.name)]),
                    ));
                    name.set(String::new());
                    chosen.set(Vec::new());
                    reload();
                }
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(NewAgency {
            name: name.get_untracked(),
            kind: kind.get_untracked(),
            services: chosen.get_untracked(),
        });
    };
    view! {
        <section class="card">
            <h2>{i18n.text(Key::AgenciesAdd)}</h2>
            <form class="stack" on:submit=on_submit data-testid="add-agency">
                <label>
                    <span>{i18n.text(Key::AgenciesName)}</span>
                    <input name="name" required bind:value=name/>
                </label>
                <label>
                    <span>{i18n.text(Key::AgenciesKind)}</span>
                    <select name="kind" bind:value=kind>
                        {AGENCY_KINDS.iter().map(|k| view! {
                            <option value=*k>{move || label(i18n, "agency_kind", k)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <ServiceChecks chosen/>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || create.pending().get()>{i18n.text(Key::AgenciesAdd)}</button>
            </form>
        </section>
    }
}
