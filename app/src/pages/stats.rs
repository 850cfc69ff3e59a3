//! `/stats`: supervisors' dashboard — a period and a scope, every figure with
//! its change on the same period a year earlier, bar charts drawn as SVG
//! (each with a title and a data table as its text alternative), and links to
//! the exports. `/stats/bulletin?year=` is the printable yearly bulletin.

use domain::api::stats::{Figure, KeyedFigure, StatsView};
use domain::api::Me;
use domain::stats::tenths_text;
use domain::{Fen, Permission};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use domain::api::privacy::{AccessGrant, DisclosureRequest};
use domain::privacy::GrantKind;

use crate::api;
use crate::components::labels::{encode, label};
use crate::components::layout::go_to;
use crate::i18n::{use_i18n, I18n, Key};
use crate::pages::privacy::PurposeForm;

/// The current year in China time, the same on the server and in the browser
/// except in the seconds around New Year.
fn this_year() -> i32 {
    #[cfg(feature = "ssr")]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let now = js_sys::Date::now() as i64;
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let now = 0;
    domain::date::china_date(now).0
}

/// "新增" / "new", or the percentage.
fn change_text(i18n: I18n, change: &str) -> String {
    if change == "new" {
        i18n.t(Key::StatsNew).to_string()
    } else {
        change.to_string()
    }
}

fn amount(i18n: I18n, value: i64, money: bool) -> String {
    if money {
        i18n.t_with(Key::CaseYuan, &[("amount", &Fen(value).format_yuan())])
    } else {
        value.to_string()
    }
}

/// The period and scope as a URL query, shared by the API call and the exports.
#[derive(Debug, Clone, PartialEq)]
struct Selection {
    kind: String,
    year: String,
    quarter: String,
    month: String,
    from: String,
    to: String,
    scope: String,
    scope_id: String,
}

impl Selection {
    fn query(&self) -> String {
        let mut q = match self.kind.as_str() {
            "quarter" => format!(
                "year={}&quarter={}",
                encode(&self.year),
                encode(&self.quarter)
            ),
            "month" => format!("year={}&month={}", encode(&self.year), encode(&self.month)),
            "range" => format!("from={}&to={}", encode(&self.from), encode(&self.to)),
            _ => format!("year={}", encode(&self.year)),
        };
        // Until a place or an officer is picked, the county's figures stay.
        if !self.scope.is_empty() && self.scope != "county" && !self.scope_id.is_empty() {
            q.push_str(&format!(
                "&scope={}&scope_id={}",
                encode(&self.scope),
                encode(&self.scope_id)
            ));
        }
        q
    }

    /// The case list export covers cases accepted in the year (its filters).
    fn case_query(&self) -> String {
        let mut q = format!("year={}", encode(&self.year));
        match self.scope.as_str() {
            "village" => q.push_str(&format!("&village_id={}", encode(&self.scope_id))),
            "officer" => q.push_str(&format!("&officer_id={}", encode(&self.scope_id))),
            _ => {}
        }
        q
    }
}

/// The filtered case list in full, for a stated purpose (README "Privacy"):
/// the grant opens one download.
#[component]
fn FullExportForm(query: Signal<String>) -> impl IntoView {
    let grant = move |purpose: String| {
        api::privacy::request_export_disclosure(&DisclosureRequest {
            purpose,
            what: GrantKind::Export,
        })
    };
    let opened = move |grant: AccessGrant, format: &'static str| {
        let query = query.get_untracked();
        let and = if query.is_empty() { "" } else { "&" };
        go_to(&format!(
            "/api/v1/cases/export.{format}?{query}{and}disclosure={}",
            grant.id
        ));
    };
    view! {
        <PurposeForm testid="full-export" summary=Key::StatsFullExport intro=Some(Key::StatsFullExportIntro)
            choices=vec![("xlsx", Key::StatsFullExportXlsx), ("csv", Key::StatsFullExportCsv)] grant opened/>
    }
}

#[component]
pub fn StatsPage(me: Me) -> impl IntoView {
    let i18n = use_i18n();
    let all_scopes = me.role.can(Permission::ReadStatistics);
    let url = use_query_map();
    let initial_year = url
        .with_untracked(|q| q.get("year"))
        .unwrap_or_else(|| this_year().to_string());
    let kind = RwSignal::new("year".to_string());
    let year = RwSignal::new(initial_year);
    let quarter = RwSignal::new("1".to_string());
    let month = RwSignal::new("1".to_string());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let scope = RwSignal::new(if all_scopes { "county" } else { "officer" }.to_string());
    let scope_id = RwSignal::new(if all_scopes {
        String::new()
    } else {
        me.id.to_string()
    });
    let selection = Memo::new(move |_| Selection {
        kind: kind.get(),
        year: year.get(),
        quarter: quarter.get(),
        month: month.get(),
        from: from.get(),
        to: to.get(),
        scope: scope.get(),
        scope_id: scope_id.get(),
    });
    let stats = Resource::new(move || selection.get().query(), api::get_stats);
    let villages = Resource::new(|| (), |_| api::list_villages());
    let officers = Resource::new(|| (), |_| api::list_officers());

    view! {
        <section class="card stats-controls no-print">
            <h1>{i18n.text(Key::StatsTitle)}</h1>
            <div class="filters">
                <label>
                    <span>{i18n.text(Key::StatsPeriod)}</span>
                    <select name="period" on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                        <option value="year">{i18n.text(Key::StatsYear)}</option>
                        <option value="quarter">{i18n.text(Key::StatsQuarter)}</option>
                        <option value="month">{i18n.text(Key::StatsMonth)}</option>
                        <option value="range">{i18n.text(Key::StatsRange)}</option>
                    </select>
                </label>
                <Show when=move || kind.get() != "range">
                    <label>
                        <span>{i18n.text(Key::StatsYear)}</span>
                        <input type="number" name="year" min="2000" max="2100" inputmode="numeric"
                            prop:value=move || year.get() on:change=move |ev| year.set(event_target_value(&ev))/>
                    </label>
                </Show>
                <Show when=move || kind.get() == "quarter">
                    <label>
                        <span>{i18n.text(Key::StatsQuarter)}</span>
                        <select name="quarter" on:change=move |ev| quarter.set(event_target_value(&ev)) prop:value=move || quarter.get()>
                            {(1..=4).map(|q| view! { <option value=q.to_string()>{format!("Q{q}")}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                <Show when=move || kind.get() == "month">
                    <label>
                        <span>{i18n.text(Key::StatsMonth)}</span>
                        <select name="month" on:change=move |ev| month.set(event_target_value(&ev)) prop:value=move || month.get()>
                            {(1..=12).map(|m| view! { <option value=m.to_string()>{m.to_string()}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                <Show when=move || kind.get() == "range">
                    <label>
                        <span>{i18n.text(Key::StatsFrom)}</span>
                        <input type="date" name="from" prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        <span>{i18n.text(Key::StatsTo)}</span>
                        <input type="date" name="to" prop:value=move || to.get() on:change=move |ev| to.set(event_target_value(&ev))/>
                    </label>
                </Show>
                {all_scopes.then(|| view! {
                    <label>
                        <span>{i18n.text(Key::StatsScope)}</span>
                        <select name="scope" on:change=move |ev| { scope_id.set(String::new()); scope.set(event_target_value(&ev)); } prop:value=move || scope.get()>
                            <option value="county">{i18n.text(Key::StatsScopeCounty)}</option>
                            <option value="township">{i18n.text(Key::StatsScopeTownship)}</option>
                            <option value="village">{i18n.text(Key::StatsScopeVillage)}</option>
                            <option value="officer">{i18n.text(Key::StatsScopeOfficer)}</option>
                        </select>
                    </label>
                    <Show when=move || scope.get() != "county">
                        <label>
                            <span>{i18n.text(Key::StatsScopeWhich)}</span>
                            <select name="scope_id" on:change=move |ev| scope_id.set(event_target_value(&ev)) prop:value=move || scope_id.get()>
                                <option value="">"—"</option>
                                <Transition>
                                    {move || Suspend::new(async move {
                                        let villages = villages.await.unwrap_or_default();
                                        let officers = officers.await.unwrap_or_default();
                                        let mut options: Vec<(i64, String)> = match scope.get().as_str() {
                                            "township" => villages.iter().map(|v| (v.township.id, v.township.name.clone())).collect(),
                                            "village" => villages.iter().map(|v| (v.id, format!("{} · {}", v.township.name, v.name))).collect(),
                                            _ => officers.into_iter().map(|o| (o.id, o.name)).collect(),
                                        };
                                        options.sort();
                                        options.dedup();
                                        options.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()
                                    })}
                                </Transition>
                            </select>
                        </label>
                    </Show>
                })}
            </div>
            <div class="actions" data-testid="exports">
                <a class="button" href=move || format!("/api/v1/stats/export.xlsx?{}", selection.get().query()) download>{i18n.text(Key::StatsExportXlsx)}</a>
                <a class="button" href=move || format!("/api/v1/stats/export.csv?{}", selection.get().query()) download>{i18n.text(Key::StatsExportCsv)}</a>
                <a class="button" href=move || format!("/api/v1/cases/export.xlsx?{}", selection.get().case_query()) download>{i18n.text(Key::StatsExportCasesXlsx)}</a>
                <a class="button" href=move || format!("/api/v1/cases/export.csv?{}", selection.get().case_query()) download>{i18n.text(Key::StatsExportCasesCsv)}</a>
                <A href=move || format!("/stats/bulletin?year={}", encode(&year.get())) attr:class="button">{i18n.text(Key::StatsBulletin)}</A>
            </div>
            <FullExportForm query=Signal::derive(move || selection.get().case_query())/>
        </section>
        <Transition fallback=move || view! { <p class="muted">{i18n.text(Key::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match stats.await {
                    Ok(s) => view! { <Dashboard stats=s/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Dashboard(stats: StatsView) -> impl IntoView {
    let i18n = use_i18n();
    let s = stats;
    let period = format!("{} – {}", s.period.from, s.period.to);
    let previous = format!("{} – {}", s.previous_period.from, s.previous_period.to);
    let median = |tenths: Option<i64>| tenths.map_or("—".to_string(), |t| tenths_text(t, false));
    let median_now = median(s.green_channel_median_hours.current_tenths);
    let median_before = median(s.green_channel_median_hours.previous_tenths);
    let channels = rows(i18n, "channel", &s.leads_by_channel);
    let groups = rows(i18n, "group", &s.people_aided_by_group);
    let referrals: Vec<(String, i64, i64)> = s
        .referrals
        .iter()
        .map(|r| (r.agency.name.clone(), r.total.current, r.total.previous))
        .collect();
    let scope_name = if s.scope.kind == "county" {
        i18n.t(Key::StatsScopeCounty).to_string()
    } else {
        s.scope.name.clone()
    };
    view! {
        <section class="card" data-testid="stats">
            <h2>{scope_name} " · " {period}</h2>
            <p class="muted">{move || i18n.t_with(Key::StatsComparedWith, &[("period", &previous)])}</p>
            <div class="figures">
                <FigureCard title=Key::StatsLeads figure=s.leads.clone() money=false testid="leads"/>
                <FigureCard title=Key::StatsCasesHandled figure=s.cases_handled.clone() money=false testid="cases-handled"/>
                <FigureCard title=Key::StatsCasesGranted figure=s.cases_granted.clone() money=false testid="cases-granted"/>
                <FigureCard title=Key::StatsCasesRefused figure=s.cases_refused.clone() money=false testid="cases-refused"/>
                <FigureCard title=Key::StatsMoneyApproved figure=s.money_approved_fen.clone() money=true testid="money-approved"/>
                <FigureCard title=Key::StatsMoneyPaid figure=s.money_paid_fen.clone() money=true testid="money-paid"/>
                <FigureCard title=Key::StatsPeopleAided figure=s.people_aided.clone() money=false testid="people-aided"/>
                <FigureCard title=Key::StatsGreenChannel figure=s.green_channel_cases.clone() money=false testid="green-channel"/>
                <FigureCard title=Key::StatsFollowUpsDue figure=s.follow_ups_due.clone() money=false testid="follow-ups-due"/>
                <FigureCard title=Key::StatsFollowUpsOnTime figure=s.follow_ups_on_time.clone() money=false testid="follow-ups-on-time"/>
                <div class="figure" data-testid="figure-green-median">
                    <span class="figure-title">{i18n.text(Key::StatsGreenMedian)}</span>
                    <strong class="figure-value">{median_now.clone()}</strong>
                    <span class="muted">{move || i18n.t_with(Key::StatsPrevious, &[("value", &median_before)])}</span>
                </div>
            </div>
        </section>
        <section class="card">
            <BarChart title=Key::StatsLeadsByChannel rows=channels id="chart-channels"/>
        </section>
        <section class="card">
            <BarChart title=Key::StatsPeopleByGroup rows=groups id="chart-groups"/>
        </section>
        <section class="card">
            <BarChart title=Key::StatsReferralsByAgency rows=referrals id="chart-referrals"/>
            <ReferralTable stats=s.referrals.clone()/>
        </section>
    }
}

fn rows(i18n: I18n, prefix: &str, list: &[KeyedFigure]) -> Vec<(String, i64, i64)> {
    list.iter()
        .map(|k| {
            (
                label(i18n, prefix, &k.key),
                k.figure.current,
                k.figure.previous,
            )
        })
        .collect()
}

#[component]
fn FigureCard(title: Key, figure: Figure, money: bool, testid: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let trend = if figure.change.starts_with('-') {
        "down"
    } else if figure.change == "0.0%" {
        "flat"
    } else {
        "up"
    };
    let (current, previous, change) = (figure.current, figure.previous, figure.change.clone());
    view! {
        <div class="figure" data-testid=format!("figure-{testid}")>
            <span class="figure-title">{move || i18n.t(title)}</span>
            <strong class="figure-value">{move || amount(i18n, current, money)}</strong>
            <span class=format!("figure-change {trend}")>{move || change_text(i18n, &change)}</span>
            <span class="muted">{move || i18n.t_with(Key::StatsPrevious, &[("value", &amount(i18n, previous, money))])}</span>
        </div>
    }
}

/// Horizontal bars, this period above the year before, each row labelled
/// above its bars so long Chinese names fit a phone. The SVG has a title and
/// description; the same numbers follow in a table for screen readers and
/// for reading exact values.
#[component]
fn BarChart(title: Key, rows: Vec<(String, i64, i64)>, id: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let max = rows
        .iter()
        .map(|(_, a, b)| (*a).max(*b))
        .max()
        .unwrap_or(0)
        .max(1);
    const WIDTH: i64 = 320;
    const ROW: i64 = 44;
    let height = ROW * rows.len() as i64 + 8;
    let bar = |value: i64| (value * (WIDTH - 60) / max).max(if value > 0 { 2 } else { 0 });
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let summary = rows
        .iter()
        .map(|(name, now, before)| format!("{name} {now} ({before})"))
        .collect::<Vec<_>>()
        .join("; ");
    let table_rows = rows.clone();
    let labelled_by = format!("{title_id} {desc_id}");
    view! {
        <figure class="chart" id=id>
            <figcaption><h2 id=title_id.clone()>{move || i18n.t(title)}</h2></figcaption>
            <p class="chart-legend" aria-hidden="true">
                <span class="swatch now"></span>{i18n.text(Key::StatsThisPeriod)}
                <span class="swatch before"></span>{i18n.text(Key::StatsLastYear)}
            </p>
            <svg role="img" viewBox=format!("0 0 {WIDTH} {height}") width="100%" preserveAspectRatio="xMinYMin meet"
                aria-labelledby=labelled_by>
                <title>{move || i18n.t(title)}</title>
                <desc id=desc_id>{summary}</desc>
                {rows.into_iter().enumerate().map(|(i, (name, now, before))| {
                    let y = i as i64 * ROW;
                    view! {
                        <g>
                            <text x="0" y=(y + 12).to_string() class="chart-label">{name}</text>
                            <rect x="0" y=(y + 16).to_string() width=bar(now).to_string() height="11" class="bar-now"/>
                            <text x=(bar(now) + 4).to_string() y=(y + 26).to_string() class="chart-value">{now.to_string()}</text>
                            <rect x="0" y=(y + 29).to_string() width=bar(before).to_string() height="7" class="bar-before"/>
                            <text x=(bar(before) + 4).to_string() y=(y + 37).to_string() class="chart-value muted">{before.to_string()}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
            <details>
                <summary>{i18n.text(Key::StatsDataTable)}</summary>
                <table class="money-timeline">
                    <thead><tr>
                        <th scope="col"></th>
                        <th scope="col">{i18n.text(Key::StatsThisPeriod)}</th>
                        <th scope="col">{i18n.text(Key::StatsLastYear)}</th>
                        <th scope="col">{i18n.text(Key::StatsChange)}</th>
                    </tr></thead>
                    <tbody>
                        {table_rows.into_iter().map(|(name, now, before)| {
                            let change = domain::stats::change(now, before).text();
                            view! { <tr><th scope="row">{name}</th><td>{now}</td><td>{before}</td><td>{move || change_text(i18n, &change)}</td></tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

#[component]
fn ReferralTable(stats: Vec<domain::api::stats::AgencyReferrals>) -> impl IntoView {
    let i18n = use_i18n();
    let states: Vec<String> = stats
        .first()
        .map(|a| a.by_state.iter().map(|k| k.key.clone()).collect())
        .unwrap_or_default();
    let heads = states.clone();
    view! {
        <div class="table-scroll">
            <table class="money-timeline" data-testid="referral-table">
                <caption class="muted">{i18n.text(Key::StatsReferralOutcomes)}</caption>
                <thead><tr>
                    <th scope="col"></th>
                    {heads.into_iter().map(|s| view! { <th scope="col">{move || label(i18n, "referral_state", &s)}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {stats.into_iter().map(|a| view! {
                        <tr>
                            <th scope="row">{a.agency.name}</th>
                            {a.by_state.into_iter().map(|k| view! { <td>{k.figure.current}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `/stats/bulletin?year=`: the yearly bulletin for the county, laid out for paper.
#[component]
pub fn BulletinPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let year = url
        .with_untracked(|q| q.get("year"))
        .unwrap_or_else(|| this_year().to_string());
    let query = format!("year={}", encode(&year));
    let stats = Resource::new(move || query.clone(), api::get_stats);
    view! {
        <article class="card bulletin" data-testid="bulletin">
            <Transition fallback=move || view! { <p class="muted">{i18n.text(Key::CommonLoading)}</p> }>
                {move || {
                    let year = year.clone();
                    Suspend::new(async move {
                        match stats.await {
                            Ok(s) => view! { <Bulletin year stats=s/> }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <p class="no-print"><button type="button" class="button primary" on:click=move |_| print_page()>{i18n.text(Key::StatsPrint)}</button></p>
        </article>
    }
}

fn print_page() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}

#[component]
fn Bulletin(year: String, stats: StatsView) -> impl IntoView {
    let i18n = use_i18n();
    let s = stats;
    let line = |key: Key, f: &Figure, money: bool| {
        (
            key,
            amount(i18n, f.current, money),
            amount(i18n, f.previous, money),
            change_text(i18n, &f.change),
        )
    };
    let lines = vec![
        line(Key::StatsLeads, &s.leads, false),
        line(Key::StatsCasesHandled, &s.cases_handled, false),
        line(Key::StatsCasesGranted, &s.cases_granted, false),
        line(Key::StatsCasesRefused, &s.cases_refused, false),
        line(Key::StatsMoneyApproved, &s.money_approved_fen, true),
        line(Key::StatsMoneyPaid, &s.money_paid_fen, true),
        line(Key::StatsPeopleAided, &s.people_aided, false),
        line(Key::StatsGreenChannel, &s.green_channel_cases, false),
        line(Key::StatsFollowUpsDue, &s.follow_ups_due, false),
        line(Key::StatsFollowUpsOnTime, &s.follow_ups_on_time, false),
    ];
    let groups = rows(i18n, "group", &s.people_aided_by_group);
    let title_year = year.clone();
    view! {
        <h1>{move || i18n.t_with(Key::StatsBulletinTitle, &[("year", &title_year)])}</h1>
        <p>{move || i18n.t_with(Key::StatsBulletinLead, &[
            ("year", &year),
            ("cases", &s.cases_handled.current.to_string()),
            ("granted", &s.cases_granted.current.to_string()),
            ("paid", &Fen(s.money_paid_fen.current).format_yuan()),
            ("people", &s.people_aided.current.to_string()),
        ])}</p>
        <table class="money-timeline">
            <thead><tr>
                <th scope="col"></th>
                <th scope="col">{i18n.text(Key::StatsThisPeriod)}</th>
                <th scope="col">{i18n.text(Key::StatsLastYear)}</th>
                <th scope="col">{i18n.text(Key::StatsChange)}</th>
            </tr></thead>
            <tbody>
                {lines.into_iter().map(|(key, now, before, change)| view! {
                    <tr><th scope="row">{move || i18n.t(key)}</th><td>{now}</td><td>{before}</td><td>{change}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
        <h2>{i18n.text(Key::StatsPeopleByGroup)}</h2>
        <table class="money-timeline">
            <tbody>
                {groups.into_iter().map(|(name, now, before)| {
                    let change = change_text(i18n, &domain::stats::change(now, before).text());
                    view! { <tr><th scope="row">{name}</th><td>{now}</td><td>{before}</td><td>{change}</td></tr> }
                }).collect_view()}
            </tbody>
        </table>
    }
}
