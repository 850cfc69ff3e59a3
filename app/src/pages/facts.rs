//! The facts of a case (contact, address, household, needs) on the case
//! page: what the server holds, an edit form that works with no network, and
//! the conflicts left when two edits changed the same fact differently.
//!
//! The form is taken over by `public/facts.js`: it compares what the officer
//! typed with the values the page was rendered with (`data-base`), keeps the
//! edit in IndexedDB under an id made on the phone, and sends it whenever the
//! network is there. The server merges; this module shows the outcome.

use domain::date::format_china_datetime;
use domain::facts::{CaseFacts, CaseFactsView, FactChoice, FactConflictView, FactField};
use leptos::prelude::*;
use serde_json::Value;

use crate::api;
use crate::components::labels::{label, yuan};
use crate::i18n::{use_i18n, I18n, Key};

/// A fact's value as people read it; `None` for unknown.
fn value_text(i18n: I18n, field: FactField, value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if field == FactField::MonthlyIncomeFen => {
            n.as_i64().map(|f| yuan(i18n, f))
        }
        other => Some(other.to_string()),
    }
}

fn shown(i18n: I18n, field: FactField, value: &Value) -> String {
    value_text(i18n, field, value).unwrap_or_else(|| i18n.t(Key::FactsUnknown).to_string())
}

/// The value an input starts with: the fact as typed (income in yuan).
fn input_value(facts: &CaseFacts, field: FactField) -> String {
    match facts.get(field) {
        Value::Null => String::new(),
        Value::String(s) => s,
        Value::Number(n) if field == FactField::MonthlyIncomeFen => {
            // Plain digits, as `public/facts.js` reads them back (no separators).
            n.as_i64()
                .map(|f| match f % 100 {
                    0 => (f / 100).to_string(),
                    cents => format!("{}.{cents:02}", f / 100),
                })
                .unwrap_or_default()
        }
        other => other.to_string(),
    }
}

/// The facts section: for the case's officer and supervisors (others get nothing to show).
#[component]
pub fn CaseFactsSection<F>(view: CaseFactsView, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let CaseFactsView {
        case_id,
        facts,
        conflicts,
        can_edit,
        can_resolve,
    } = view;
    let rows = FactField::ALL
        .iter()
        .map(|f| {
            let field = *f;
            let value = facts.get(field);
            view! {
                <dt>{move || label(i18n, "fact", field.as_str())}</dt>
                <dd data-fact=field.as_str()>{move || shown(i18n, field, &value)}</dd>
            }
        })
        .collect_view();
    view! {
        <section class="card case-facts" data-testid="case-facts">
            <h2>{i18n.text(Key::FactsTitle)}</h2>
            <dl class="facts">{rows}</dl>
            {(!conflicts.is_empty()).then(|| view! { <Conflicts conflicts current=facts.clone() can_resolve on_change/> })}
            {can_edit.then(|| view! { <FactsForm case_id facts/> })}
        </section>
    }
}

#[component]
fn Conflicts<F>(
    conflicts: Vec<FactConflictView>,
    current: CaseFacts,
    can_resolve: bool,
    on_change: F,
) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let error = RwSignal::new(None::<String>);
    let resolve = Action::new(move |(id, choice): &(i64, FactChoice)| {
        let (id, choice) = (*id, *choice);
        async move {
            match api::resolve_fact_conflict(id, choice).await {
                Ok(_) => {
                    error.set(None);
                    on_change();
                }
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    view! {
        <div class="fact-conflicts" data-testid="fact-conflicts">
            <h3>{i18n.text(Key::FactsConflictsTitle)}</h3>
            <p class="muted">{i18n.text(Key::FactsConflictsIntro)}</p>
            <ul>
                {conflicts.into_iter().map(|c| {
                    let field = c.field;
                    let id = c.id;
                    let raised = format_china_datetime(c.raised_at);
                    let name = c.raised_by.name.clone();
                    let base = shown(i18n, field, &c.base);
                    let mine = shown(i18n, field, &c.mine);
                    // "Keep current" keeps what the server holds now, which a
                    // later edit may have changed since the conflict arose.
                    let theirs = shown(i18n, field, &current.get(field));
                    view! {
                        <li data-testid="fact-conflict" data-field=field.as_str()>
                            <strong>{move || label(i18n, "fact", field.as_str())}</strong>
                            <div class="muted">{move || i18n.t_with(Key::FactsConflictRaised, &[("name", &name), ("date", &raised)])}</div>
                            <div class="muted">{move || i18n.t_with(Key::FactsConflictBase, &[("value", &base)])}</div>
                            {can_resolve.then(|| view! {
                                <div class="choices">
                                    <button type="button" data-choice="mine" disabled=move || resolve.pending().get()
                                        on:click=move |_| { resolve.dispatch((id, FactChoice::Mine)); }>
                                        {move || i18n.t_with(Key::FactsConflictMine, &[("value", &mine)])}
                                    </button>
                                    <button type="button" data-choice="theirs" disabled=move || resolve.pending().get()
                                        on:click=move |_| { resolve.dispatch((id, FactChoice::Theirs)); }>
                                        {move || i18n.t_with(Key::FactsConflictTheirs, &[("value", &theirs)])}
                                    </button>
                                </div>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="error" role="alert">{move || error.get()}</p>
        </div>
    }
}

/// The form `public/facts.js` takes over; `data-base` holds the facts the page
/// was rendered with, which the edit is sent against.
#[component]
fn FactsForm(case_id: i64, facts: CaseFacts) -> impl IntoView {
    let i18n = use_i18n();
    let t = move |key: Key| i18n.t(key);
    // Serialising our own plain struct cannot fail; an empty base only means more conflicts.
    let base = serde_json::to_string(&facts).unwrap_or_else(|_| "{}".into());
    let v = |field: FactField| input_value(&facts, field);
    let fields = FactField::ALL
        .iter()
        .map(|f| format!("{}={}", f.as_str(), label(i18n, "fact", f.as_str())))
        .collect::<Vec<_>>()
        .join("|");
    view! {
        <details class="facts-edit">
            <summary>{move || t(Key::FactsEdit)}</summary>
            <form class="visit-form facts-form" data-facts-form="" data-case-id=case_id data-base=base data-testid="facts-form"
                on:submit=|ev: leptos::ev::SubmitEvent| ev.prevent_default()>
                <label>
                    <span>{move || label(i18n, "fact", "phone")}</span>
                    <input type="tel" name="phone" inputmode="tel" maxlength="20" value=v(FactField::Phone)/>
                </label>
                <label>
                    <span>{move || label(i18n, "fact", "address")}</span>
                    <input type="text" name="address" maxlength="200" value=v(FactField::Address)/>
                </label>
                <div class="row">
                    <label>
                        <span>{move || label(i18n, "fact", "household_members")}</span>
                        <input type="number" name="household_members" min="0" max="100" inputmode="numeric" value=v(FactField::HouseholdMembers)/>
                    </label>
                    <label>
                        <span>{move || label(i18n, "fact", "dependants")}</span>
                        <input type="number" name="dependants" min="0" max="100" inputmode="numeric" value=v(FactField::Dependants)/>
                    </label>
                </div>
                <label>
                    <span>{move || t(Key::FactsIncomeYuan)}</span>
                    <input type="text" name="monthly_income_fen" inputmode="decimal" pattern="[0-9]+([.][0-9]{1,2})?" value=v(FactField::MonthlyIncomeFen)/>
                </label>
                <label>
                    <span>{move || label(i18n, "fact", "hardship")}</span>
                    <textarea name="hardship" rows="2" maxlength="2000">{v(FactField::Hardship)}</textarea>
                </label>
                <label>
                    <span>{move || label(i18n, "fact", "needs")}</span>
                    <textarea name="needs" rows="2" maxlength="2000">{v(FactField::Needs)}</textarea>
                </label>
                <button type="submit" class="primary">{move || t(Key::FactsSave)}</button>
                <p class="error" role="alert" data-facts-form-error="" data-t-no-changes=move || t(Key::FactsNoChanges)></p>
            </form>
        </details>
        <div class="visit-queue facts-queue" data-facts-queue="" data-case-id=case_id data-testid="facts-queue" aria-live="polite"
            data-t-waiting=move || t(Key::FactsQueueWaiting)
            data-t-empty=move || t(Key::FactsQueueEmpty)
            data-t-item=move || t(Key::FactsQueueItem)
            data-t-state-waiting=move || t(Key::VisitsQueueStateWaiting)
            data-t-state-sending=move || t(Key::VisitsQueueStateSending)
            data-t-state-refused=move || t(Key::VisitsQueueStateRefused)
            data-t-retry=move || t(Key::VisitsQueueRetry)
            data-t-discard=move || t(Key::VisitsQueueDiscard)
            data-t-confirm-discard=move || t(Key::VisitsQueueConfirmDiscard)
            data-t-offline=move || t(Key::VisitsQueueOffline)
            data-t-login=move || t(Key::VisitsQueueLogin)
            data-t-fields=fields>
        </div>
    }
}
