//! Field visits on the case page, and the officer's list of follow-ups due.
//!
//! The visit form works with no network: `public/visits.js` reads it, scales
//! photos down on the phone, keeps each record (photos and signature
//! included) in IndexedDB under an id made on the phone, and sends the queue
//! whenever the network is there. This module renders the form, the empty
//! queue box that script fills (its texts come as `data-t-*` attributes, so
//! every word stays in `app/locales/`), and the visits the server has stored.

use domain::date::{china_date, format_china_datetime, format_date};
use domain::visit::{
    CaseVisits, FollowUpDue, VisitFileKind, VisitKind, VisitView, PHOTO_LONG_SIDE_PX,
};
use leptos::prelude::*;

use crate::api;
use crate::components::labels::{label, yuan};
use crate::i18n::{use_i18n, Key};

/// The visits of a case: follow-ups due, the form and queue (for the case's
/// officer), and the stored visits with their photos.
#[component]
pub fn CaseVisitsSection(case_id: i64, visits: CaseVisits) -> impl IntoView {
    let i18n = use_i18n();
    let CaseVisits {
        visits,
        can_record,
        follow_ups,
    } = visits;
    let empty = visits.is_empty();
    view! {
        <section class="card visits" data-testid="case-visits">
            <h2>{i18n.text(Key::VisitsTitle)}</h2>
            {(!follow_ups.is_empty()).then(|| view! { <FollowUps follow_ups/> })}
            {can_record.then(|| view! { <VisitForm case_id/> })}
            {empty.then(|| view! { <p class="muted">{i18n.text(Key::VisitsNone)}</p> })}
            <ul class="visit-list" data-testid="visit-list">
                {visits.into_iter().map(|v| view! { <VisitItem visit=v/> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn FollowUps(follow_ups: Vec<FollowUpDue>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h3>{i18n.text(Key::VisitsFollowUps)}</h3>
        <ul class="follow-ups" data-testid="follow-ups">
            {follow_ups.into_iter().map(|f| {
                let days = f.days.to_string();
                let date = format_date(china_date(f.due_at));
                let done = f.done_by_visit.is_some();
                view! {
                    <li class:overdue=f.overdue class:done=done>
                        {move || i18n.t_with(Key::VisitsFollowUpDue, &[("days", &days), ("date", &date)])}
                        {done.then(|| view! { " " <span class="badge">{i18n.text(Key::VisitsFollowUpDone)}</span> })}
                        {f.overdue.then(|| view! { " " <strong class="late">{i18n.text(Key::VisitsFollowUpOverdue)}</strong> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The form `public/visits.js` takes over. Without that script nothing is sent.
#[component]
fn VisitForm(case_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let t = move |key: Key| i18n.t(key);
    view! {
        <details class="visit-new" open>
            <summary>{move || t(Key::VisitsNew)}</summary>
            <form class="visit-form" data-visit-form="" data-case-id=case_id data-testid="visit-form"
                data-photo-long-side=PHOTO_LONG_SIDE_PX
                on:submit=|ev: leptos::ev::SubmitEvent| ev.prevent_default()>
                <label>
                    <span>{move || t(Key::VisitsKind)}</span>
                    <select name="kind">
                        {VisitKind::ALL.iter().map(|k| {
                            let name = k.as_str();
                            view! { <option value=name>{move || label(i18n, "visit_kind", name)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    <span>{move || t(Key::VisitsVisitedAt)}</span>
                    <input type="datetime-local" name="visited_at" required/>
                </label>
                <label>
                    <span>{move || t(Key::VisitsPlace)}</span>
                    <input type="text" name="place" maxlength="200" required/>
                </label>
                <div class="gps">
                    <button type="button" data-visit-gps="">{move || t(Key::VisitsGps)}</button>
                    <span class="muted" data-visit-gps-text="" data-t-none=move || t(Key::VisitsGpsNone) data-t-failed=move || t(Key::VisitsGpsFailed)>
                        {move || t(Key::VisitsGpsNone)}
                    </span>
                    <input type="hidden" name="latitude"/>
                    <input type="hidden" name="longitude"/>
                    <input type="hidden" name="accuracy_m"/>
                </div>
                <label>
                    <span>{move || t(Key::VisitsPeopleMet)}</span>
                    <input type="text" name="people_met" maxlength="500" required/>
                </label>
                <div class="row">
                    <label>
                        <span>{move || t(Key::VisitsHouseholdMembers)}</span>
                        <input type="number" name="household_members" min="0" max="100" inputmode="numeric"/>
                    </label>
                    <label>
                        <span>{move || t(Key::VisitsDependants)}</span>
                        <input type="number" name="dependants" min="0" max="100" inputmode="numeric"/>
                    </label>
                </div>
                <label>
                    <span>{move || t(Key::VisitsMonthlyIncomeYuan)}</span>
                    <input type="text" name="monthly_income" inputmode="decimal" pattern="[0-9]+([.][0-9]{1,2})?"/>
                </label>
                <label>
                    <span>{move || t(Key::VisitsHardship)}</span>
                    <textarea name="hardship" rows="2" maxlength="2000"></textarea>
                </label>
                <label>
                    <span>{move || t(Key::VisitsNeeds)}</span>
                    <textarea name="needs" rows="2" maxlength="2000"></textarea>
                </label>
                <label>
                    <span>{move || t(Key::VisitsNotes)}</span>
                    <textarea name="notes" rows="3" maxlength="4000"></textarea>
                </label>
                <label>
                    <span>{move || t(Key::VisitsPhotos)}</span>
                    <input type="file" name="photos" accept="image/*" capture="environment" multiple/>
                </label>
                <div class="signature">
                    <span>{move || t(Key::VisitsSignature)}</span>
                    <canvas data-visit-signature="" width="600" height="240" aria-label=move || t(Key::VisitsSignature)></canvas>
                    <button type="button" data-visit-signature-clear="">{move || t(Key::VisitsSignatureClear)}</button>
                </div>
                <button type="submit" class="primary">{move || t(Key::VisitsSave)}</button>
                <p class="error" role="alert" data-visit-form-error=""></p>
            </form>
        </details>
        <VisitQueue case_id/>
    }
}

/// The box the offline queue is shown in; `public/visits.js` fills it.
#[component]
pub fn VisitQueue(case_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let t = move |key: Key| i18n.t(key);
    let kinds = VisitKind::ALL
        .iter()
        .map(|k| format!("{}={}", k.as_str(), label(i18n, "visit_kind", k.as_str())))
        .collect::<Vec<_>>()
        .join("|");
    view! {
        <div class="visit-queue" data-visit-queue="" data-case-id=case_id data-testid="visit-queue" aria-live="polite"
            data-t-title=move || t(Key::VisitsQueueTitle)
            data-t-waiting=move || t(Key::VisitsQueueWaiting)
            data-t-empty=move || t(Key::VisitsQueueEmpty)
            data-t-state-waiting=move || t(Key::VisitsQueueStateWaiting)
            data-t-state-sending=move || t(Key::VisitsQueueStateSending)
            data-t-state-refused=move || t(Key::VisitsQueueStateRefused)
            data-t-retry=move || t(Key::VisitsQueueRetry)
            data-t-discard=move || t(Key::VisitsQueueDiscard)
            data-t-confirm-discard=move || t(Key::VisitsQueueConfirmDiscard)
            data-t-offline=move || t(Key::VisitsQueueOffline)
            data-t-saved=move || t(Key::VisitsQueueSaved)
            data-t-login=move || t(Key::VisitsQueueLogin)
            data-t-kinds=kinds>
        </div>
    }
}

#[component]
fn VisitItem(visit: VisitView) -> impl IntoView {
    let i18n = use_i18n();
    let kind = visit.kind.as_str();
    let f = visit.findings;
    let members = f.household_members.map(|n| n.to_string());
    let dependants = f.dependants.map(|n| n.to_string());
    let officer = visit.officer.name;
    view! {
        <li class="visit" data-testid="visit" data-visit-id=visit.id.clone()>
            <div class="when">{format_china_datetime(visit.visited_at)}" · "{visit.place}</div>
            <strong>{move || label(i18n, "visit_kind", kind)}</strong>
            <p>{i18n.text(Key::VisitsPeopleMet)}": "{visit.people_met}</p>
            <p class="facts">
                {members.map(|n| view! { <span>{move || i18n.t_with(Key::VisitsMembersCount, &[("count", &n)])}</span> })}
                {dependants.map(|n| view! { " " <span>{move || i18n.t_with(Key::VisitsDependantsCount, &[("count", &n)])}</span> })}
                {f.monthly_income_fen.map(|fen| view! { " " <span>{move || i18n.t_with(Key::VisitsIncome, &[("amount", &yuan(i18n, fen))])}</span> })}
            </p>
            {f.hardship.map(|h| view! { <p><span class="muted">{i18n.text(Key::VisitsHardship)}": "</span>{h}</p> })}
            {f.needs.map(|n| view! { <p><span class="muted">{i18n.text(Key::VisitsNeeds)}": "</span>{n}</p> })}
            {visit.notes.map(|n| view! { <p class="comment">{n}</p> })}
            {visit.location.map(|p| {
                let text = format!("{:.5}, {:.5}", p.latitude, p.longitude);
                view! { <p class="muted">{i18n.text(Key::VisitsLocation)}": "{text}</p> }
            })}
            <div class="thumbs">
                {visit.files.into_iter().map(|file| {
                    let signature = file.kind == VisitFileKind::Signature;
                    let alt = move || i18n.t(if signature { Key::VisitsSignatureAlt } else { Key::VisitsPhotoAlt });
                    let href = file.url.clone();
                    view! {
                        <a href=href target="_blank" rel="noopener">
                            <img src=file.url class="thumb" class:signature=signature loading="lazy" alt=alt data-testid="visit-file"/>
                        </a>
                    }
                }).collect_view()}
            </div>
            <div class="muted">{move || i18n.t_with(Key::VisitsOfficer, &[("name", &officer)])}</div>
        </li>
    }
}

/// Follow-ups not done yet: the officer's own, or all for a supervisor; overdue ones first in red.
#[component]
pub fn FollowUpsPage() -> impl IntoView {
    let i18n = use_i18n();
    let items = Resource::new(|| (), |_| api::due_follow_ups());
    view! {
        <section class="card" data-testid="follow-up-list">
            <h1>{i18n.text(Key::FollowUpsTitle)}</h1>
            <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
                {move || Suspend::new(async move {
                    match items.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">{i18n.text(Key::FollowUpsNone)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="follow-ups">
                                {list.into_iter().map(|item| {
                                    let days = item.days.to_string();
                                    let date = format_date(china_date(item.due_at));
                                    view! {
                                        <li class:overdue=item.overdue data-testid="follow-up">
                                            <a href=format!("/cases/{}", item.case_id)>{item.case_number}</a>
                                            " · "{item.applicant_name}" · "{item.village}
                                            <div>
                                                {move || i18n.t_with(Key::FollowUpsDue, &[("days", &days), ("date", &date)])}
                                                {item.overdue.then(|| view! { " " <strong class="late">{i18n.text(Key::VisitsFollowUpOverdue)}</strong> })}
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
