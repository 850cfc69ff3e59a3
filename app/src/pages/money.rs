//! Aid money on a phone: the money section of a case (plan, agreement and
//! pledge, installments, spending, balance and a printable timeline), the
//! money page of one child (`/money/:id`, also for village committees, who
//! cannot open case files) and the list of supervised children (`/money`)
//! where a village committee confirms or queries spending in two taps.

use domain::api::money::{
    InstallmentView, MoneyView, PaymentInput, PhoneCheckInput, PlanInput, SpendingInput,
    SpendingView, SupervisedChild, SupervisionInput,
};
use domain::api::Me;
use domain::payment::{
    split_plan, DocumentKind, InstallmentInput, Ledger, PaymentMethod, PlanKind, Purpose,
};
use domain::{Fen, Role};
use leptos::html::Input;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::{self, ApiError};
use crate::components::labels::{label, yuan};
use crate::i18n::{use_i18n, Key};

/// Today in China time, as a date input wants it; empty until hydrated.
fn today_in_china() -> String {
    let now = crate::pages::cases::js_now();
    if now <= 0 {
        return String::new();
    }
    domain::date::format_date(domain::date::china_date(now))
}

/// Reads the chosen file and uploads it as a money document; `Ok(None)` when
/// no file is chosen. Files exist only in the browser.
fn upload_chosen(
    file_input: NodeRef<Input>,
    case_id: i64,
    kind: DocumentKind,
) -> impl std::future::Future<Output = Result<Option<i64>, ApiError>> + Send + 'static {
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
            api::money::upload_document(case_id, kind, bytes)
                .await
                .map(|doc| Some(doc.id))
        })
    }
    #[cfg(not(all(feature = "hydrate", not(feature = "ssr"))))]
    {
        let _ = (file_input, case_id, kind);
        async { Ok(None) }
    }
}

fn print_page() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}

/// `/money`: the supervised children in the viewer's reach, with what waits
/// for the village committee.
#[component]
pub fn MoneyListPage(me: Me) -> impl IntoView {
    let i18n = use_i18n();
    let list = Resource::new(|| (), |_| api::money::list_supervised());
    let village = me.village.clone().map(|v| v.name);
    view! {
        <section class="card">
            <h1>{i18n.text(Key::MoneyListTitle)}</h1>
            {village.map(|v| view! { <p class="muted">{v}</p> })}
            <p class="muted">{i18n.text(Key::MoneyListIntro)}</p>
        </section>
        <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(children) if children.is_empty() => view! { <p class="card muted">{i18n.text(Key::MoneyListEmpty)}</p> }.into_any(),
                    Ok(children) => view! {
                        <ul class="stack money-list" data-testid="supervised">
                            {children.into_iter().map(|c| view! { <li><ChildCard child=c on_change=move || list.refetch()/></li> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="card error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ChildCard<F>(child: SupervisedChild, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let c = child;
    let progress = format!("{}/{}", c.installments_paid, c.installments_total);
    let next = c.next_due_on.clone().zip(c.next_amount_fen);
    let waiting = c.waiting.len().to_string();
    view! {
        <article class="card child" data-testid="child" data-case-id=c.case_id.to_string()>
            <div class="case-head">
                <h2>{c.child.name.clone()}</h2>
                {(waiting != "0").then(|| view! { <span class="badge late">{move || i18n.t_with(Key::MoneyWaitingCount, &[("count", &waiting)])}</span> })}
            </div>
            <p class="muted">
                {c.village.name.clone()}
                {c.guardian.clone().map(|g| view! { " · " {move || i18n.t_with(Key::MoneyGuardianIs, &[("name", &g)])} })}
            </p>
            <LedgerFacts ledger=c.ledger/>
            <dl class="facts">
                <dt>{i18n.text(Key::MoneyInstallmentsPaid)}</dt><dd>{progress}</dd>
                {next.map(|(on, fen)| view! { <dt>{i18n.text(Key::MoneyNextInstallment)}</dt><dd>{on}" · "{move || yuan(i18n, fen)}</dd> })}
            </dl>
            <ul class="stack spending-list">
                {c.waiting.into_iter().map(|s| view! { <li><SpendingItem spending=s on_change/></li> }).collect_view()}
            </ul>
            <A href=format!("/money/{}", c.case_id) attr:class="button">{i18n.text(Key::MoneyOpenTimeline)}</A>
        </article>
    }
}

/// `/money/:id`: the money of one case, printable.
#[component]
pub fn CaseMoneyPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let money = Resource::new(id, api::money::case_money);
    view! {
        <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match money.await {
                    Ok(view) => view! { <MoneySection view on_change=move || money.refetch()/> }.into_any(),
                    Err(e) => view! { <p class="card error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LedgerFacts(ledger: Ledger) -> impl IntoView {
    let i18n = use_i18n();
    let balance = ledger.balance_fen();
    view! {
        <dl class="ledger" data-testid="ledger">
            <div><dt>{i18n.text(Key::MoneyApproved)}</dt><dd>{move || yuan(i18n, ledger.approved_fen)}</dd></div>
            <div><dt>{i18n.text(Key::MoneyPaid)}</dt><dd>{move || yuan(i18n, ledger.paid_fen)}</dd></div>
            <div><dt>{i18n.text(Key::MoneySpent)}</dt><dd>{move || yuan(i18n, ledger.spent_fen)}</dd></div>
            <div><dt>{i18n.text(Key::MoneyConfirmed)}</dt><dd>{move || yuan(i18n, ledger.confirmed_fen)}</dd></div>
            <div class="balance"><dt>{i18n.text(Key::MoneyBalance)}</dt><dd data-testid="balance">{move || yuan(i18n, balance)}</dd></div>
        </dl>
    }
}

/// The money of a case: on the case page and on `/money/:id`.
#[component]
pub fn MoneySection<F>(view: MoneyView, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let v = view;
    let case_id = v.case_id;
    let title = match &v.case_number {
        Some(n) => format!("{} · {}", v.child.name, n),
        None => v.child.name.clone(),
    };
    let started = v.ledger.paid_fen > 0;
    let can = v.can.clone();
    let supervised = v.plan.as_ref().is_some_and(|p| p.supervised);
    let unpaid = v.ledger.approved_fen - v.ledger.paid_fen;
    let decided_on = v.decided_on.clone().unwrap_or_default();
    view! {
        <section class="card money" data-testid="money">
            <div class="case-head">
                <h2>{i18n.text(Key::MoneyTitle)}</h2>
                <button type="button" class="no-print" on:click=move |_| print_page()>{i18n.text(Key::MoneyPrint)}</button>
            </div>
            <p class="print-only"><strong>{title}</strong>" · "{v.village.name.clone()}</p>
            <LedgerFacts ledger=v.ledger/>
            {v.plan.clone().map(|plan| {
                let kind = plan.kind.as_str();
                view! {
                    <h3>
                        {move || label(i18n, "money.plan_kind", kind)}
                        {plan.supervised.then(|| view! { " · " {i18n.text(Key::MoneySupervised)} })}
                    </h3>
                    <ol class="installments" data-testid="installments">
                        {plan.installments.into_iter().map(|i| view! { <Installment installment=i can_override=can.override_release can_check=can.phone_check on_change/> }).collect_view()}
                    </ol>
                }
            })}
            {(v.plan.is_none()).then(|| view! { <p class="muted">{i18n.text(Key::MoneyNoPlan)}</p> })}
            {can.plan.then(|| view! { <PlanForm case_id unpaid minor=v.minor started decided_on=decided_on.clone() has_plan=v.plan.is_some() on_change/> })}
            {v.supervision.clone().map(|s| {
                let (guardian, a, p) = (s.guardian.name.clone(), s.agreement_signed_on.clone(), s.pledge_signed_on.clone());
                view! {
                    <h3>{i18n.text(Key::MoneySupervision)}</h3>
                    <p data-testid="supervision">{move || i18n.t_with(Key::MoneySupervisionLine, &[("guardian", &guardian), ("agreement", &a), ("pledge", &p)])}</p>
                    <div class="scans no-print">
                        {s.documents.into_iter().map(|d| {
                            let href = format!("/api/v1/money/documents/{}", d.id);
                            let kind = d.kind.as_str();
                            let src = href.clone();
                            view! { <a href=href target="_blank"><img src=src alt=move || label(i18n, "money.document", kind) width="64"/></a> }
                        }).collect_view()}
                    </div>
                }
            })}
            {(can.supervision).then(|| view! { <SupervisionForm case_id people=v.people.clone() on_change/> })}
            {(supervised && v.supervision.is_none() && !can.supervision).then(|| view! { <p class="muted">{i18n.text(Key::MoneyNoSupervision)}</p> })}
            <h3>{i18n.text(Key::MoneySpending)}</h3>
            {v.spending.is_empty().then(|| view! { <p class="muted">{i18n.text(Key::MoneyNoSpending)}</p> })}
            <ul class="stack spending-list" data-testid="spending">
                {v.spending.into_iter().map(|s| view! { <li><SpendingItem spending=s on_change/></li> }).collect_view()}
            </ul>
            {can.spend.then(|| view! { <SpendingForm case_id on_change/> })}
            <h3>{i18n.text(Key::MoneyTimeline)}</h3>
            <table class="money-timeline" data-testid="money-timeline">
                <thead><tr>
                    <th>{i18n.text(Key::MoneyDate)}</th>
                    <th>{i18n.text(Key::MoneyWhat)}</th>
                    <th>{i18n.text(Key::MoneyAmount)}</th>
                    <th>{i18n.text(Key::MoneyBalance)}</th>
                </tr></thead>
                <tbody>
                    {v.timeline.into_iter().map(|e| {
                        let kind = e.kind.clone();
                        let text = e.text.clone().map(|t| match kind.as_str() {
                            "spending" => label(i18n, "money.purpose", &t),
                            "plan" => match t.split_once('×') {
                                Some((k, n)) => format!("{} × {n}", label(i18n, "money.plan_kind", k)),
                                None => t,
                            },
                            _ => t,
                        });
                        view! {
                            <tr>
                                <td>{e.on.clone()}</td>
                                <td>{move || label(i18n, "money.event", &kind)}{text.map(|t| view! { <span class="muted">" · "{t}</span> })}</td>
                                <td>{e.amount_fen.map(|f| view! { {move || yuan(i18n, f)} })}</td>
                                <td>{e.balance_fen.map(|f| view! { {move || yuan(i18n, f)} })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Installment<F>(
    installment: InstallmentView,
    can_override: bool,
    can_check: bool,
    on_change: F,
) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let i = installment;
    let seq = i.seq.to_string();
    let fen = i.amount_fen;
    let blocked = i.blocked_by.clone();
    let show_override = can_override && blocked.as_deref() == Some("proof_of_use_required");
    let paid = i.payment.is_some();
    let payment_id = i.payment.as_ref().map(|p| p.id).filter(|_| can_check);
    view! {
        <li class="installment" data-testid="installment" class:paid=paid>
            <div>
                <strong>{move || i18n.t_with(Key::MoneyInstallmentNo, &[("n", &seq)])}</strong>
                " · "{i.due_on.clone()}" · "{move || yuan(i18n, fen)}
            </div>
            {i.payment.clone().map(|p| {
                let method = p.method.as_str();
                let paid_on = p.paid_on.clone();
                let checks = p.checks.clone();
                view! {
                    <p class="ok">
                        {move || i18n.t_with(Key::MoneyPaidOn, &[("date", &paid_on)])}" · "{move || label(i18n, "money.method", method)}
                        {(!p.reference.is_empty()).then(|| view! { " · " {p.reference.clone()} })}
                    </p>
                    {checks.into_iter().map(|c| {
                        let said = c.said_received_fen;
                        view! { <p class="muted">{move || i18n.t_with(Key::MoneyPhoneCheckLine, &[("date", &c.checked_on), ("who", &c.spoke_with), ("amount", &Fen(said).format_yuan())])}</p> }
                    }).collect_view()}
                }
            })}
            {i.release_override.clone().map(|r| view! { <p class="muted">{move || i18n.t_with(Key::MoneyOverrideLine, &[("reason", &r)])}</p> })}
            {blocked.clone().map(|b| view! { <p class="muted" data-testid="blocked">{move || label(i18n, "error", &b)}</p> })}
            {i.can_pay.then(|| view! { <PayForm id=i.id on_change/> })}
            {show_override.then(|| view! { <OverrideForm id=i.id on_change/> })}
            {payment_id.map(|payment_id| view! { <PhoneCheckForm payment_id on_change/> })}
        </li>
    }
}

/// Shows an API error next to the form, or runs `on_change`.
fn report<F: Fn() + Copy>(
    i18n: crate::i18n::I18n,
    error: RwSignal<Option<String>>,
    on_change: F,
    result: Result<MoneyView, ApiError>,
) {
    match result {
        Ok(_) => {
            error.set(None);
            on_change();
        }
        Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
    }
}

#[component]
fn PayForm<F>(id: i64, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let paid_on = RwSignal::new(String::new());
    let method = RwSignal::new(PaymentMethod::BankTransfer.as_str().to_string());
    let reference = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| paid_on.set(today_in_china()));
    let submit = Action::new(move |input: &PaymentInput| {
        let input = input.clone();
        async move {
            report(
                i18n,
                error,
                on_change,
                api::money::pay_installment(id, &input).await,
            )
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submit.dispatch(PaymentInput {
            paid_on: paid_on.get_untracked(),
            method: PaymentMethod::parse(&method.get_untracked()).unwrap_or(PaymentMethod::Other),
            reference: reference.get_untracked(),
        });
    };
    view! {
        <form class="stack no-print" data-testid="pay-form" on:submit=on_submit>
            <label><span>{i18n.text(Key::MoneyPaidOnLabel)}</span><input type="date" name="paid_on" required bind:value=paid_on/></label>
            <label><span>{i18n.text(Key::MoneyMethod)}</span>
                <select name="method" bind:value=method>
                    {PaymentMethod::ALL.iter().map(|m| { let m = m.as_str(); view! { <option value=m>{move || label(i18n, "money.method", m)}</option> } }).collect_view()}
                </select>
            </label>
            <label><span>{i18n.text(Key::MoneyReference)}</span><input name="reference" required bind:value=reference/></label>
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" class="primary" disabled=move || submit.pending().get()>{i18n.text(Key::MoneyPay)}</button>
        </form>
    }
}

#[component]
fn OverrideForm<F>(id: i64, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = Action::new(move |reason: &String| {
        let reason = reason.clone();
        async move {
            report(
                i18n,
                error,
                on_change,
                api::money::override_release(id, reason).await,
            )
        }
    });
    view! {
        <form class="stack no-print" data-testid="override-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); submit.dispatch(reason.get_untracked()); }>
            <label><span>{i18n.text(Key::MoneyOverrideReason)}</span><textarea name="reason" rows="2" required bind:value=reason></textarea></label>
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" disabled=move || submit.pending().get()>{i18n.text(Key::MoneyOverride)}</button>
        </form>
    }
}

#[component]
fn PhoneCheckForm<F>(payment_id: i64, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let checked_on = RwSignal::new(String::new());
    let who = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| checked_on.set(today_in_china()));
    let submit = Action::new(move |input: &PhoneCheckInput| {
        let input = input.clone();
        async move {
            report(
                i18n,
                error,
                on_change,
                api::money::phone_check(payment_id, &input).await,
            )
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(fen) = Fen::parse_yuan(&amount.get_untracked()) else {
            error.set(Some(i18n.error_text("invalid_amount", "")));
            return;
        };
        submit.dispatch(PhoneCheckInput {
            checked_on: checked_on.get_untracked(),
            spoke_with: who.get_untracked(),
            said_received_fen: fen.0.into(),
            note: None,
        });
    };
    view! {
        <details class="no-print">
            <summary>{i18n.text(Key::MoneyPhoneCheck)}</summary>
            <form class="stack" on:submit=on_submit>
                <label><span>{i18n.text(Key::MoneyCheckedOn)}</span><input type="date" name="checked_on" required bind:value=checked_on/></label>
                <label><span>{i18n.text(Key::MoneySpokeWith)}</span><input name="spoke_with" required bind:value=who/></label>
                <label><span>{i18n.text(Key::MoneySaidReceived)}</span><input name="said_received" inputmode="decimal" required bind:value=amount/></label>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" disabled=move || submit.pending().get()>{i18n.text(Key::MoneySave)}</button>
            </form>
        </details>
    }
}

/// The plan: one payment, or equal installments some months apart (the
/// default for a minor), split with the same helper the server checks against.
#[component]
fn PlanForm<F>(
    case_id: i64,
    unpaid: i64,
    minor: bool,
    started: bool,
    decided_on: String,
    has_plan: bool,
    on_change: F,
) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let kind = RwSignal::new(if minor { "installments" } else { "single" }.to_string());
    let count = RwSignal::new(if minor { "3" } else { "1" }.to_string());
    let every = RwSignal::new("3".to_string());
    let first = RwSignal::new(decided_on.clone());
    let supervised = RwSignal::new(minor);
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let today = today_in_china();
        if first.get_untracked() < today {
            first.set(today);
        }
    });
    let preview = move || {
        let n: u32 = if kind.get() == "single" {
            1
        } else {
            count.get().trim().parse().unwrap_or(0)
        };
        split_plan(
            Fen(unpaid),
            n,
            &first.get(),
            every.get().trim().parse().unwrap_or(1),
        )
    };
    let submit = Action::new(move |input: &PlanInput| {
        let input = input.clone();
        async move {
            report(
                i18n,
                error,
                on_change,
                api::money::set_plan(case_id, &input).await,
            )
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(plan) = preview() else {
            error.set(Some(i18n.error_text("invalid_date", "")));
            return;
        };
        let text = reason.get_untracked();
        submit.dispatch(PlanInput {
            kind: PlanKind::parse(&kind.get_untracked()).unwrap_or(PlanKind::Single),
            supervised: Some(supervised.get_untracked()),
            installments: plan
                .into_iter()
                .map(|i| InstallmentInput {
                    due_on: i.due_on,
                    amount_fen: i.amount.0.into(),
                })
                .collect(),
            reason: (!text.trim().is_empty()).then_some(text),
        });
    };
    let form = view! {
        <form class="stack" data-testid="plan-form" on:submit=on_submit>
            <label><span>{i18n.text(Key::MoneyPlanKind)}</span>
                <select name="kind" bind:value=kind>
                    {PlanKind::ALL.iter().map(|k| { let k = k.as_str(); view! { <option value=k>{move || label(i18n, "money.plan_kind", k)}</option> } }).collect_view()}
                </select>
            </label>
            <Show when=move || kind.get() == "installments">
                <label><span>{i18n.text(Key::MoneyPlanCount)}</span><input name="count" inputmode="numeric" bind:value=count/></label>
                <label><span>{i18n.text(Key::MoneyPlanEvery)}</span><input name="every" inputmode="numeric" bind:value=every/></label>
            </Show>
            <label><span>{i18n.text(Key::MoneyPlanFirst)}</span><input type="date" name="first_due" required bind:value=first/></label>
            <label class="check"><input type="checkbox" name="supervised" bind:checked=supervised/><span>{i18n.text(Key::MoneySupervised)}</span></label>
            {started.then(|| view! { <label><span>{i18n.text(Key::MoneyPlanReason)}</span><textarea name="reason" rows="2" required bind:value=reason></textarea></label> })}
            <ol class="muted">
                {move || preview().unwrap_or_default().into_iter().map(|i| { let fen = i.amount.0; view! { <li>{i.due_on}" · "{move || yuan(i18n, fen)}</li> } }).collect_view()}
            </ol>
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" class="primary" disabled=move || submit.pending().get()>{i18n.text(Key::MoneyPlanSave)}</button>
        </form>
    };
    if has_plan {
        view! { <details class="no-print"><summary>{i18n.text(Key::MoneyPlanChange)}</summary>{form}</details> }.into_any()
    } else {
        view! { <div class="no-print">{form}</div> }.into_any()
    }
}

/// The guardian, the dates the agreement and pledge were signed, and their scans.
#[component]
fn SupervisionForm<F>(
    case_id: i64,
    people: Vec<domain::api::NamedRef>,
    on_change: F,
) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let guardian = RwSignal::new(people.last().map(|p| p.id.to_string()).unwrap_or_default());
    let agreement_on = RwSignal::new(String::new());
    let pledge_on = RwSignal::new(String::new());
    let agreement_file = NodeRef::<Input>::new();
    let pledge_file = NodeRef::<Input>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        agreement_on.set(today_in_china());
        pledge_on.set(today_in_china());
    });
    let submit = Action::new(move |_: &()| {
        let agreement = upload_chosen(agreement_file, case_id, DocumentKind::Agreement);
        let pledge = upload_chosen(pledge_file, case_id, DocumentKind::Pledge);
        let input = (
            guardian.get_untracked(),
            agreement_on.get_untracked(),
            pledge_on.get_untracked(),
        );
        async move {
            let (a, p) = match (agreement.await, pledge.await) {
                (Ok(a), Ok(p)) => (a, p),
                (Err(e), _) | (_, Err(e)) => {
                    error.set(Some(i18n.error_text(&e.code, &e.message)));
                    return;
                }
            };
            let body = SupervisionInput {
                guardian_person_id: input.0.parse().unwrap_or(0),
                agreement_signed_on: input.1,
                pledge_signed_on: input.2,
                agreement_document_ids: a.into_iter().collect(),
                pledge_document_ids: p.into_iter().collect(),
            };
            report(
                i18n,
                error,
                on_change,
                api::money::record_supervision(case_id, &body).await,
            )
        }
    });
    view! {
        <details class="no-print" data-testid="supervision-form">
            <summary>{i18n.text(Key::MoneySupervisionRecord)}</summary>
            <form class="stack" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); submit.dispatch(()); }>
                <label><span>{i18n.text(Key::MoneyGuardian)}</span>
                    <select name="guardian" bind:value=guardian>
                        {people.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                    </select>
                </label>
                <label><span>{i18n.text(Key::MoneyAgreementOn)}</span><input type="date" name="agreement_on" required bind:value=agreement_on/></label>
                <label><span>{i18n.text(Key::MoneyAgreementScan)}</span><input type="file" name="agreement_scan" accept="image/*" capture="environment" required node_ref=agreement_file/></label>
                <label><span>{i18n.text(Key::MoneyPledgeOn)}</span><input type="date" name="pledge_on" required bind:value=pledge_on/></label>
                <label><span>{i18n.text(Key::MoneyPledgeScan)}</span><input type="file" name="pledge_scan" accept="image/*" capture="environment" required node_ref=pledge_file/></label>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || submit.pending().get()>{i18n.text(Key::MoneySave)}</button>
            </form>
        </details>
    }
}

#[component]
fn SpendingForm<F>(case_id: i64, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let amount = RwSignal::new(String::new());
    let purpose = RwSignal::new(Purpose::School.as_str().to_string());
    let spent_on = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let receipt = NodeRef::<Input>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| spent_on.set(today_in_china()));
    let submit = Action::new(move |fen: &i64| {
        let fen = *fen;
        let upload = upload_chosen(receipt, case_id, DocumentKind::Receipt);
        let (p, on, text) = (
            purpose.get_untracked(),
            spent_on.get_untracked(),
            note.get_untracked(),
        );
        async move {
            let receipt_document_id = match upload.await {
                Ok(id) => id,
                Err(e) => {
                    error.set(Some(i18n.error_text(&e.code, &e.message)));
                    return;
                }
            };
            let input = SpendingInput {
                amount_fen: fen.into(),
                purpose: Purpose::parse(&p).unwrap_or(Purpose::Other),
                spent_on: on,
                note: (!text.trim().is_empty()).then_some(text),
                receipt_document_id,
            };
            report(
                i18n,
                error,
                on_change,
                api::money::record_spending(case_id, &input).await,
            )
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Typed in yuan; at most two decimals, so never a fraction of a fen.
        match Fen::parse_yuan(&amount.get_untracked()) {
            Ok(fen) if fen.0 > 0 => {
                submit.dispatch(fen.0);
            }
            _ => error.set(Some(i18n.error_text("invalid_amount", ""))),
        }
    };
    view! {
        <details class="no-print" data-testid="spending-form">
            <summary>{i18n.text(Key::MoneySpendingAdd)}</summary>
            <form class="stack" on:submit=on_submit>
                <label><span>{i18n.text(Key::CaseAmountYuan)}</span><input name="amount" inputmode="decimal" required bind:value=amount/></label>
                <label><span>{i18n.text(Key::MoneyPurpose)}</span>
                    <select name="purpose" bind:value=purpose>
                        {Purpose::ALL.iter().map(|p| { let p = p.as_str(); view! { <option value=p>{move || label(i18n, "money.purpose", p)}</option> } }).collect_view()}
                    </select>
                </label>
                <label><span>{i18n.text(Key::MoneySpentOn)}</span><input type="date" name="spent_on" required bind:value=spent_on/></label>
                <label><span>{i18n.text(Key::MoneyNote)}</span><input name="note" bind:value=note/></label>
                <label><span>{i18n.text(Key::MoneyReceipt)}</span><input type="file" name="receipt" accept="image/*" capture="environment" node_ref=receipt/></label>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || submit.pending().get()>{i18n.text(Key::MoneySave)}</button>
            </form>
        </details>
    }
}

/// A spending record with its notes, and for the viewer: confirm or query
/// (the village committee, one tap each — a query then asks for its
/// question), or answer a query (the case's officer).
#[component]
fn SpendingItem<F>(spending: SpendingView, on_change: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let s = spending;
    let id = s.id;
    let purpose = s.purpose.as_str();
    let status = s.status.as_str();
    let fen = s.amount_fen;
    let error = RwSignal::new(None::<String>);
    let text = RwSignal::new(String::new());
    let asking = RwSignal::new(false);
    let step = Action::new(move |(name, text): &(&'static str, Option<String>)| {
        let (name, text) = (*name, text.clone());
        async move {
            report(
                i18n,
                error,
                on_change,
                api::money::spending_step(id, name, text).await,
            )
        }
    });
    view! {
        <article class="spending" data-testid="spending-record" data-status=status data-spending-id=id.to_string()>
            <div class="case-head">
                <strong>{move || label(i18n, "money.purpose", purpose)}" · "{move || yuan(i18n, fen)}</strong>
                <span class=format!("badge spending-{status}") data-testid="spending-status">{move || label(i18n, "money.status", status)}</span>
            </div>
            <p class="muted">{s.spent_on.clone()}" · "{s.entered_by.name.clone()}{s.note.clone().map(|n| view! { " · " {n} })}</p>
            {s.receipt.clone().map(|r| {
                let href = format!("/api/v1/money/documents/{}", r.id);
                let src = href.clone();
                view! { <a class="no-print" href=href target="_blank"><img src=src alt=i18n.text(Key::MoneyReceipt) width="64"/></a> }
            })}
            <ul class="notes">
                {s.notes.iter().filter(|n| n.comment.is_some()).map(|n| {
                    let action = n.action.clone();
                    view! { <li><span class="muted">{move || label(i18n, "money.note", &action)}" · "{n.actor.name.clone()}": "</span>{n.comment.clone()}</li> }
                }).collect_view()}
            </ul>
            {s.can_confirm.then(|| view! {
                <div class="two-taps no-print">
                    <button type="button" class="primary" data-testid="confirm" disabled=move || step.pending().get()
                        on:click=move |_| { step.dispatch(("confirm", None)); }>{i18n.text(Key::MoneyConfirm)}</button>
                    <button type="button" data-testid="query" on:click=move |_| asking.set(true)>{i18n.text(Key::MoneyQuery)}</button>
                </div>
            })}
            <Show when=move || asking.get() || s.can_answer>
                <form class="stack no-print" data-testid="spending-text" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    let value = text.get_untracked();
                    if value.trim().is_empty() {
                        error.set(Some(i18n.error_text("required", "")));
                        return;
                    }
                    step.dispatch((if s.can_answer { "answer" } else { "query" }, Some(value)));
                }>
                    <label><span>{move || if s.can_answer { i18n.t(Key::MoneyAnswer) } else { i18n.t(Key::MoneyQuestion) }}</span>
                        <textarea name="text" rows="2" bind:value=text></textarea>
                    </label>
                    <button type="submit" disabled=move || step.pending().get()>{i18n.text(Key::MoneySend)}</button>
                </form>
            </Show>
            <p class="error" role="alert">{move || error.get()}</p>
        </article>
    }
}

/// Whether the viewer's role has a money page at all.
pub fn has_money_page(role: Role) -> bool {
    domain::payment::may(role, domain::payment::MoneyAction::Read)
}
