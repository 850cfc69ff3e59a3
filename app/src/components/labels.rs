//! Translated names of domain values (states, actions, channels, groups), and money and time display.

use domain::case::{CaseState, PriorityGroup};
use domain::clock::days_hours;
use domain::Fen;
use leptos::prelude::*;

use crate::i18n::{use_i18n, I18n, Key};

/// The translation of `prefix.name` (e.g. `state.proposed`), or the name itself.
pub fn label(i18n: I18n, prefix: &str, name: &str) -> String {
    Key::by_name(&format!("{prefix}.{name}"))
        .map(|key| i18n.t(key).to_string())
        .unwrap_or_else(|| name.to_string())
}

pub fn yuan(i18n: I18n, fen: i64) -> String {
    i18n.t_with(Key::CaseYuan, &[("amount", &Fen(fen).format_yuan())])
}

#[component]
pub fn StateBadge(state: CaseState) -> impl IntoView {
    let i18n = use_i18n();
    view! { <span class=format!("badge state-{}", state.as_str())>{move || label(i18n, "state", state.as_str())}</span> }
}

#[component]
pub fn GroupBadges(groups: Vec<PriorityGroup>) -> impl IntoView {
    let i18n = use_i18n();
    groups
        .into_iter()
        .map(|g| view! { <span class="badge group">{move || label(i18n, "group", g.as_str())}</span> })
        .collect_view()
}

/// Green-channel clock: hours left until the deadline, or hours overdue.
/// `now` is the browser's clock, 0 until the page is hydrated (the server
/// renders no countdown, so hydration finds the same text).
#[component]
pub fn GreenChannel(deadline: Option<i64>, confirmed: bool, now: RwSignal<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let overdue = move || deadline.is_some_and(|d| now.get() > 0 && d < now.get());
    let clock = move || match (deadline, now.get()) {
        (Some(d), n) if n > 0 => {
            let hours = (d - n) / 3_600_000;
            if d < n {
                format!(
                    " · {}",
                    i18n.t_with(Key::CasesOverdue, &[("hours", &(-hours).to_string())])
                )
            } else {
                format!(
                    " · {}",
                    i18n.t_with(Key::CasesHoursLeft, &[("hours", &hours.to_string())])
                )
            }
        }
        _ => String::new(),
    };
    view! {
        <span class="badge green" class:overdue=overdue>
            {i18n.text(Key::CasesGreenChannel)}
            {(!confirmed).then(|| view! { " (" {i18n.text(Key::CasesGreenChannelUnconfirmed)} ")" })}
            {clock}
        </span>
    }
}

/// "2天3小时" / "2 d 3 h", or just the days or the hours when the other is zero.
pub fn duration_text(i18n: I18n, ms: i64) -> String {
    let (days, hours) = days_hours(ms);
    let (days, hours) = (days.to_string(), hours.to_string());
    match (days.as_str(), hours.as_str()) {
        ("0", _) => i18n.t_with(Key::CommonHours, &[("hours", &hours)]),
        (_, "0") => i18n.t_with(Key::CommonDays, &[("days", &days)]),
        _ => i18n.t_with(Key::CommonDuration, &[("days", &days), ("hours", &hours)]),
    }
}

/// The clock of a case's current stage on a list: how long it has run, marked
/// when past its limit. Like [`GreenChannel`], it shows only once the browser's
/// clock is known.
#[component]
pub fn StageClock(since: i64, due_at: Option<i64>, now: RwSignal<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let overdue = move || due_at.is_some_and(|d| now.get() > 0 && d < now.get());
    let text = move || {
        let n = now.get();
        match due_at {
            Some(d) if n > 0 && d < n => i18n.t_with(
                Key::CasesStageOverdue,
                &[("duration", &duration_text(i18n, n - d))],
            ),
            Some(_) if n > 0 => i18n.t_with(
                Key::CasesStageTime,
                &[("duration", &duration_text(i18n, n - since))],
            ),
            _ => String::new(),
        }
    };
    view! { <span class="badge clock" class:overdue=overdue data-testid="stage-clock">{text}</span> }
}

/// Percent-encodes a query-string value (names are Chinese).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
