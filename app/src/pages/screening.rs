//! Case screening (案件管理筛查): upload the case-handling system's list of
//! criminal cases, choose its columns when they are not recognised, see what
//! came of it, and turn each flagged person into a lead or dismiss them.

use domain::screening::{
    ColumnMapping, DismissFlag, FlagToLead, ScreeningField, ScreeningFlagView, ScreeningUpload,
};
use leptos::html::Input;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, ApiError};
use crate::components::fields::VillageSelect;
use crate::components::labels::label;
use crate::i18n::{use_i18n, Key};

/// Reads the chosen file and uploads it; `Ok(None)` when no file is chosen.
/// Files exist only in the browser, so on the server this does nothing.
fn upload_chosen(
    file_input: NodeRef<Input>,
) -> impl std::future::Future<Output = Result<Option<ScreeningUpload>, ApiError>> + Send + 'static {
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        send_wrapper::SendWrapper::new(async move {
            let Some(file) = file_input
                .get_untracked()
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            else {
                return Ok(None);
            };
            let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
                .await
                .map_err(|_| ApiError::network("the file could not be read".into()))?;
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            api::upload_screening(&file.name(), bytes).await.map(Some)
        })
    }
    #[cfg(not(all(feature = "hydrate", not(feature = "ssr"))))]
    {
        let _ = file_input;
        async { Ok(None) }
    }
}

#[component]
pub fn ScreeningPage() -> impl IntoView {
    let i18n = use_i18n();
    let file_input = NodeRef::<Input>::new();
    let result = RwSignal::new(None::<ScreeningUpload>);
    let error = RwSignal::new(None::<String>);
    let flags = Resource::new(|| (), |_| api::list_screening_flags("open"));

    let upload = Action::new(move |_: &()| {
        let future = upload_chosen(file_input);
        async move {
            match future.await {
                Ok(Some(answer)) => {
                    error.set(None);
                    result.set(Some(answer));
                    flags.refetch();
                }
                Ok(None) => error.set(Some(i18n.t(Key::ScreeningNoFile).to_string())),
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });

    view! {
        <section class="card stack">
            <h1>{i18n.text(Key::ScreeningTitle)}</h1>
            <p class="muted">{i18n.text(Key::ScreeningIntro)}</p>
            <form class="stack" data-testid="screening-upload" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                upload.dispatch(());
            }>
                <label>
                    <span>{i18n.text(Key::ScreeningFile)}</span>
                    <input type="file" name="file" node_ref=file_input
                        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>
                </label>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || upload.pending().get()>
                    {i18n.text(Key::ScreeningUpload)}
                </button>
            </form>
        </section>
        {move || result.get().map(|answer| {
            if answer.outcome == "needs_mapping" {
                view! { <MappingForm answer result flags/> }.into_any()
            } else {
                view! { <ImportResult answer/> }.into_any()
            }
        })}
        <section class="card">
            <h2>{i18n.text(Key::ScreeningOpenFlags)}</h2>
        </section>
        <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match flags.await {
                    Ok(list) if list.is_empty() => view! { <p class="card muted">{i18n.text(Key::ScreeningEmpty)}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="case-list" data-testid="flag-list">
                            {list.into_iter().map(|flag| view! { <FlagItem flag on_change=move || flags.refetch()/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What an import did: the counts, and each unreadable row by its line.
#[component]
fn ImportResult(answer: ScreeningUpload) -> impl IntoView {
    let i18n = use_i18n();
    let import = answer.import;
    let already = answer.outcome == "already_imported";
    let counts = [
        ("total", import.rows_total.to_string()),
        ("flagged", import.rows_flagged.to_string()),
        ("known", import.rows_known.to_string()),
        ("errors", import.rows_error.to_string()),
    ];
    let errors = import.errors;
    view! {
        <section class="card stack" data-testid="screening-result">
            <p class="notice">{move || if already {
                i18n.t(Key::ScreeningAlready).to_string()
            } else {
                let args: Vec<(&str, &str)> = counts.iter().map(|(k, v)| (*k, v.as_str())).collect();
                i18n.t_with(Key::ScreeningResult, &args)
            }}</p>
            {(!errors.is_empty()).then(|| view! {
                <div>
                    <h2>{i18n.text(Key::ScreeningRowErrors)}</h2>
                    <ul data-testid="row-errors">
                        {errors.into_iter().map(|e| {
                            let line = e.line.to_string();
                            view! {
                                <li>{move || {
                                    let text = Key::by_name(&format!("screening.row.{}", e.code))
                                        .map(|k| i18n.t(k).to_string())
                                        .unwrap_or_else(|| e.message.clone());
                                    i18n.t_with(Key::ScreeningRowError, &[("line", &line), ("error", &text)])
                                }}</li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            })}
        </section>
    }
}

fn field_key(field: ScreeningField) -> Key {
    Key::by_name(&format!("screening.field.{}", field.as_str())).unwrap_or(Key::ScreeningTitle)
}

/// The officer's choice of a heading for each field, for a file whose headings
/// were not recognised. The proposal is preselected.
#[component]
fn MappingForm(
    answer: ScreeningUpload,
    result: RwSignal<Option<ScreeningUpload>>,
    flags: Resource<Result<Vec<ScreeningFlagView>, ApiError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let import_id = answer.import.id;
    let headers = answer.headers.clone();
    let mapping = RwSignal::new(answer.proposed.clone());
    let error = RwSignal::new(None::<String>);
    let save = Action::new(move |mapping: &ColumnMapping| {
        let mapping = mapping.clone();
        async move {
            match api::choose_screening_mapping(import_id, &mapping).await {
                Ok(answer) => {
                    result.set(Some(answer));
                    flags.refetch();
                }
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let on_submit = {
        let headers = headers.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            // The server's rule, checked before sending.
            let chosen = mapping.get_untracked();
            if chosen.resolve(&headers).is_err() {
                error.set(Some(i18n.error_text("column_required", "")));
                return;
            }
            save.dispatch(chosen);
        }
    };
    view! {
        <section class="card">
            <form class="stack" data-testid="screening-mapping" on:submit=on_submit>
                <h2>{i18n.text(Key::ScreeningMappingTitle)}</h2>
                <p class="muted">{i18n.text(Key::ScreeningMappingIntro)}</p>
                {ScreeningField::ALL.into_iter().map(|field| {
                    let headers = headers.clone();
                    view! {
                        <label>
                            <span>
                                {move || i18n.t(field_key(field))}
                                {field.required().then(|| view! { {i18n.text(Key::ScreeningRequired)} })}
                            </span>
                            <select name=field.as_str() on:change=move |ev| {
                                let value = event_target_value(&ev);
                                mapping.update(|m| m.set(field, Some(value)));
                            }>
                                <option value="">{i18n.text(Key::ScreeningNotInFile)}</option>
                                {headers.into_iter().map(|h| {
                                    let selected = answer.proposed.get(field) == Some(h.as_str());
                                    view! { <option value=h.clone() selected=selected>{h.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }
                }).collect_view()}
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || save.pending().get()>
                    {i18n.text(Key::ScreeningMappingSave)}
                </button>
            </form>
        </section>
    }
}

#[component]
fn FlagItem<F>(flag: ScreeningFlagView, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let id = flag.id;
    let needs_village = flag.village.is_none();
    let village_id = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(false);
    let duplicates = RwSignal::new(Vec::<String>::new());
    let to_lead = Action::new(move |confirm_duplicate: &bool| {
        let input = FlagToLead {
            village_id: village_id.get_untracked().parse().ok(),
            confirm_duplicate: *confirm_duplicate,
        };
        async move {
            match api::screening_flag_to_lead(id, &input).await {
                Ok(_) => {
                    duplicates.set(Vec::new());
                    error.set(None);
                    notice.set(true);
                }
                Err(e) => {
                    duplicates.set(
                        e.duplicates
                            .iter()
                            .map(|d| format!("{} · {}", d.person_name, d.label))
                            .collect(),
                    );
                    error.set(Some(i18n.error_text(&e.code, &e.message)));
                }
            }
        }
    });
    let dismiss = Action::new(move |reason: &String| {
        let input = DismissFlag {
            reason: reason.clone(),
        };
        async move {
            match api::dismiss_screening_flag(id, &input).await {
                Ok(_) => on_change(),
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let line = flag.line.to_string();
    view! {
        <li class="card lead-item" data-flag=id>
            <div class="case-head">
                <strong>{flag.criminal_case_ref.clone()}</strong>
                <span class="muted">{move || i18n.t_with(Key::ScreeningLine, &[("line", &line)])}</span>
            </div>
            <div>
                {flag.name.clone()}
                {flag.village.as_ref().map(|v| format!(" · {}", v.name))}
            </div>
            <div class="badges" data-testid="reasons">
                {flag.reasons.iter().map(|r| {
                    let r = r.as_str();
                    view! { <span class="badge group" data-reason=r>{move || label(i18n, "screening.reason", r)}</span> }
                }).collect_view()}
            </div>
            <p class="error" role="alert">{move || error.get()}</p>
            <Show when=move || notice.get()>
                <p class="notice">
                    {i18n.text(Key::ScreeningLeadCreated)}" "
                    <A href="/leads">{i18n.text(Key::NavLeads)}</A>
                </p>
            </Show>
            <Show when=move || !notice.get()>
                {needs_village.then(|| view! {
                    <label>
                        <span>{i18n.text(Key::ScreeningVillageMissing)}</span>
                        <VillageSelect value=village_id/>
                    </label>
                })}
                <Show when=move || !duplicates.get().is_empty()>
                    <div class="duplicates">
                        <p>{i18n.text(Key::ScreeningDuplicate)}</p>
                        <ul>{move || duplicates.get().into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                        <button type="button" on:click=move |_| { to_lead.dispatch(true); }>{i18n.text(Key::ScreeningCreateAnyway)}</button>
                    </div>
                </Show>
                <div class="lead-actions">
                    <button type="button" class="primary" disabled=move || to_lead.pending().get()
                        on:click=move |_| { to_lead.dispatch(false); }>
                        {i18n.text(Key::ScreeningToLead)}
                    </button>
                </div>
                <form class="inline-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); dismiss.dispatch(reason.get_untracked()); }>
                    <label>
                        <span>{i18n.text(Key::ScreeningDismissReason)}</span>
                        <input name="reason" required bind:value=reason/>
                    </label>
                    <button type="submit">{i18n.text(Key::ScreeningDismiss)}</button>
                </form>
            </Show>
        </li>
    }
}
