//! Exports: the filtered case list and the statistics, as CSV or XLSX, with
//! Chinese headings by default (`lang=en` for English), streamed.
//!
//! The case list is read a page of ids at a time and each page is written
//! out before the next is read, through a bounded channel: a million rows
//! never sit in memory, and a slow download slows the reading instead.
//!
//! Names, ID numbers and phone numbers are masked unless the caller passes a
//! [`Disclosure::Full`], which `service::privacy::disclose_case_export`
//! decides (a grant with a stated purpose, audited and read-logged); even
//! then only the rows of cases in the viewer's team are written in the clear.

pub mod xlsx;

use std::collections::HashMap;
use std::pin::Pin;

use axum::body::Bytes;
use domain::api::stats::{Figure, StatsView};
use domain::case::{groups_from_text, mask_name, mask_phone};
use domain::date::{china_date, format_date};
use domain::idcard::mask_id_number;
use domain::privacy::in_case_team;
use domain::stats::tenths_text;
use domain::Role;
use futures::Stream;

use self::xlsx::{Cell, XlsxWriter};
use super::cases::{case_filter, CaseQuery};
use super::stats::{self, StatsQuery};
use super::{Actor, ServiceError, ServiceResult};
use crate::config::AppConfig;
use crate::storage::cases::{self as store, CaseFilter, ExportRow};
use crate::storage::{now_ms, Db};

/// Rows read (and written out) at a time.
const PAGE: i64 = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// How much of a person an export shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// 张*明, 3404**********123X, 138****5678.
    Masked,
    /// Everything on the rows of cases in the team of this viewer
    /// (`domain::privacy::in_case_team`: every case for a supervisor, an
    /// officer's own cases), for a purpose recorded with the grant; other
    /// rows masked.
    Full { role: Role, user_id: i64 },
}

impl Disclosure {
    /// Whether the row of a case assigned to `officer_id` goes out in full.
    pub fn full_for(self, officer_id: i64) -> bool {
        match self {
            Disclosure::Masked => false,
            Disclosure::Full { role, user_id } => in_case_team(role, user_id, officer_id),
        }
    }
}

/// The interface strings of one language, read from the same files the app uses.
pub struct Labels(HashMap<String, String>);

impl Labels {
    pub fn load(lang: Option<&str>) -> Labels {
        let text = match lang {
            Some("en") => include_str!("../../../app/locales/en.json"),
            _ => include_str!("../../../app/locales/zh-CN.json"),
        };
        Labels(serde_json::from_str(text).unwrap_or_default())
    }

    /// The text of `key`, or the key itself.
    pub fn get(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| key.to_string())
    }
}

/// A table written as CSV or XLSX, a chunk at a time.
enum TableWriter {
    Csv(Vec<u8>),
    Xlsx(Box<XlsxWriter>),
}

impl TableWriter {
    fn new(format: Format, sheet: &str, headings: &[String]) -> std::io::Result<TableWriter> {
        Ok(match format {
            Format::Csv => {
                // The byte-order mark tells Excel the file is UTF-8.
                let mut out = b"\xEF\xBB\xBF".to_vec();
                let cells: Vec<Cell> = headings.iter().map(|h| Cell::Text(h.clone())).collect();
                csv_row(&mut out, &cells);
                TableWriter::Csv(out)
            }
            Format::Xlsx => {
                TableWriter::Xlsx(Box::new(XlsxWriter::new(sheet, headings, now_ms())?))
            }
        })
    }

    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        match self {
            TableWriter::Csv(out) => {
                csv_row(out, cells);
                Ok(())
            }
            TableWriter::Xlsx(writer) => writer.row(cells),
        }
    }

    fn take(&mut self) -> Vec<u8> {
        match self {
            TableWriter::Csv(out) => std::mem::take(out),
            TableWriter::Xlsx(writer) => writer.take(),
        }
    }

    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            TableWriter::Csv(out) => Ok(out),
            TableWriter::Xlsx(writer) => writer.finish(),
        }
    }
}

/// One CSV line (RFC 4180, CRLF). Text that a spreadsheet would run as a
/// formula (=, @, or + and - not followed by a digit, as in "+12.5%") is
/// prefixed with an apostrophe.
fn csv_row(out: &mut Vec<u8>, cells: &[Cell]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let text = match cell {
            Cell::Text(t) => {
                if formula_like(t) {
                    format!("'{t}")
                } else {
                    t.clone()
                }
            }
            Cell::Number(n) => n.clone(),
            Cell::Empty => String::new(),
        };
        if text.contains([',', '"', '\n', '\r']) {
            out.push(b'"');
            out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

fn formula_like(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some('=' | '@') => true,
        Some('+' | '-') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// Fen as yuan with two decimals, "3000.00".
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The bytes of an export as they are produced.
pub type ExportStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

type Sender = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// The receiving end as a body stream. It may be polled again after it ended
/// (the compression layer does), and then says "ended" again: a stream that
/// panics on that, such as `futures::stream::unfold`, broke every compressed
/// download off mid-response.
fn channel_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> ExportStream {
    Box::pin(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// The case list matching `query` (the list's filters, every page), with
/// people as `disclosure` says.
#[tracing::instrument(skip_all, fields(user_id = actor.user_id, format = ?format))]
pub fn export_cases(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    query: &CaseQuery,
    format: Format,
    lang: Option<&str>,
    disclosure: Disclosure,
) -> ServiceResult<ExportStream> {
    let filter = case_filter(config, actor, query)?;
    let labels = Labels::load(lang);
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let db = db.clone();
    tokio::spawn(async move {
        if let Err(error) = write_cases(&db, filter, format, disclosure, &labels, &tx).await {
            // The headers are sent: all the client can learn is that the body broke off.
            tracing::error!(%error, "case export failed");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
        }
    });
    Ok(channel_stream(rx))
}

async fn write_cases(
    db: &Db,
    filter: CaseFilter,
    format: Format,
    disclosure: Disclosure,
    labels: &Labels,
    tx: &Sender,
) -> anyhow::Result<()> {
    let headings: Vec<String> = [
        "export.case_number",
        "export.state",
        "export.accepted_on",
        "export.applicant",
        "export.id_number",
        "export.phone",
        "export.township",
        "export.village",
        "export.officer",
        "export.channel",
        "export.groups",
        "export.green_channel",
        "export.proposed_yuan",
        "export.approved_yuan",
    ]
    .iter()
    .map(|k| labels.get(k))
    .collect();
    let mut writer = TableWriter::new(format, &labels.get("export.cases_sheet"), &headings)?;
    let mut after = 0;
    let mut rows = 0u64;
    loop {
        let page = store::export_page(db, &filter, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for row in &page {
            writer.row(&case_cells(row, disclosure, labels))?;
        }
        rows += page.len() as u64;
        let chunk = writer.take();
        if !chunk.is_empty() && tx.send(Ok(Bytes::from(chunk))).await.is_err() {
            // The client went away: stop reading.
            return Ok(());
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    let last = writer.finish()?;
    let _ = tx.send(Ok(Bytes::from(last))).await;
    tracing::info!(rows, "case export done");
    Ok(())
}

fn case_cells(row: &ExportRow, disclosure: Disclosure, labels: &Labels) -> Vec<Cell> {
    let full = disclosure.full_for(row.officer_id);
    let person = |text: &str, mask: fn(&str) -> String| {
        if full {
            text.to_string()
        } else {
            mask(text)
        }
    };
    let groups = groups_from_text(&row.applicant_groups)
        .iter()
        .map(|g| labels.get(&format!("group.{}", g.as_str())))
        .collect::<Vec<_>>()
        .join("、");
    let money = |fen: Option<i64>| fen.map_or(Cell::Empty, |f| Cell::Number(yuan(f)));
    vec![
        Cell::Text(row.number.clone()),
        Cell::Text(labels.get(&format!("state.{}", row.state))),
        Cell::Text(format_date(china_date(row.accepted_at))),
        Cell::Text(person(&row.applicant_name, mask_name)),
        row.id_number
            .as_deref()
            .map_or(Cell::Empty, |n| Cell::Text(person(n, mask_id_number))),
        row.phone
            .as_deref()
            .map_or(Cell::Empty, |p| Cell::Text(person(p, mask_phone))),
        Cell::Text(row.township_name.clone()),
        Cell::Text(row.village_name.clone()),
        Cell::Text(row.officer_name.clone()),
        Cell::Text(labels.get(&format!("channel.{}", row.channel))),
        Cell::Text(groups),
        Cell::Text(labels.get(if row.green_channel {
            "export.yes"
        } else {
            "export.no"
        })),
        money(row.proposed_amount_fen),
        money(row.approved_amount_fen),
    ]
}

/// The statistics of a period and scope as a table: section, item, this
/// period, a year earlier, change.
#[tracing::instrument(skip_all, fields(user_id = actor.user_id, format = ?format))]
pub async fn export_stats(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    query: &StatsQuery,
    format: Format,
    lang: Option<&str>,
) -> ServiceResult<ExportStream> {
    let view = stats::dashboard(db, config, actor, query).await?;
    let labels = Labels::load(lang);
    let bytes = stats_table(&view, format, &labels)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("writing the statistics: {e}")))?;
    Ok(Box::pin(futures::stream::iter([Ok(Bytes::from(bytes))])))
}

fn stats_table(view: &StatsView, format: Format, labels: &Labels) -> std::io::Result<Vec<u8>> {
    let headings: Vec<String> = [
        "export.section",
        "export.item",
        "export.this_period",
        "export.last_year",
        "export.change",
    ]
    .iter()
    .map(|k| labels.get(k))
    .collect();
    let mut writer = TableWriter::new(format, &labels.get("export.stats_sheet"), &headings)?;
    let change = |f: &Figure| {
        if f.change == "new" {
            labels.get("stats.new")
        } else {
            f.change.clone()
        }
    };
    let mut line = |section: &str, item: String, f: &Figure, money: bool| {
        let value = |v: i64| Cell::Number(if money { yuan(v) } else { v.to_string() });
        writer.row(&[
            Cell::Text(section.to_string()),
            Cell::Text(item),
            value(f.current),
            value(f.previous),
            Cell::Text(change(f)),
        ])
    };
    let summary = labels.get("export.summary");
    for (key, figure, money) in [
        ("stats.leads", &view.leads, false),
        ("stats.cases_handled", &view.cases_handled, false),
        ("stats.cases_granted", &view.cases_granted, false),
        ("stats.cases_refused", &view.cases_refused, false),
        ("export.money_approved_yuan", &view.money_approved_fen, true),
        ("export.money_paid_yuan", &view.money_paid_fen, true),
        ("stats.people_aided", &view.people_aided, false),
        ("stats.green_channel", &view.green_channel_cases, false),
        ("stats.follow_ups_due", &view.follow_ups_due, false),
        ("stats.follow_ups_on_time", &view.follow_ups_on_time, false),
    ] {
        line(&summary, labels.get(key), figure, money)?;
    }
    let section = labels.get("stats.leads_by_channel");
    for k in &view.leads_by_channel {
        line(
            &section,
            labels.get(&format!("channel.{}", k.key)),
            &k.figure,
            false,
        )?;
    }
    let section = labels.get("stats.people_by_group");
    for k in &view.people_aided_by_group {
        line(
            &section,
            labels.get(&format!("group.{}", k.key)),
            &k.figure,
            false,
        )?;
    }
    let section = labels.get("stats.referrals_by_agency");
    for agency in &view.referrals {
        for k in &agency.by_state {
            let item = format!(
                "{} · {}",
                agency.agency.name,
                labels.get(&format!("referral_state.{}", k.key))
            );
            line(&section, item, &k.figure, false)?;
        }
    }
    let hours = |t: Option<i64>| t.map_or(Cell::Empty, |t| Cell::Number(tenths_text(t, false)));
    writer.row(&[
        Cell::Text(summary.clone()),
        Cell::Text(labels.get("export.green_median_hours")),
        hours(view.green_channel_median_hours.current_tenths),
        hours(view.green_channel_median_hours.previous_tenths),
        Cell::Empty,
    ])?;
    let scope = if view.scope.kind == "county" {
        labels.get("stats.scope_county")
    } else {
        view.scope.name.clone()
    };
    writer.row(&[
        Cell::Text(labels.get("export.period")),
        Cell::Text(scope),
        Cell::Text(format!("{} – {}", view.period.from, view.period.to)),
        Cell::Text(format!(
            "{} – {}",
            view.previous_period.from, view.previous_period.to
        )),
        Cell::Empty,
    ])?;
    let mut bytes = writer.take();
    bytes.extend(writer.finish()?);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        let mut out = Vec::new();
        csv_row(
            &mut out,
            &[
                Cell::Text("a,b".into()),
                Cell::Text("say \"hi\"".into()),
                Cell::Text("=SUM(A1)".into()),
                Cell::Text("+cmd".into()),
                Cell::Text("+12.5%".into()),
                Cell::Number("-25.00".into()),
                Cell::Empty,
            ],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),'+cmd,+12.5%,-25.00,\r\n"
        );
    }

    #[test]
    fn yuan_has_two_decimals() {
        assert_eq!(yuan(300_000), "3000.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-150), "-1.50");
    }

    #[test]
    fn labels_are_chinese_by_default() {
        assert_eq!(Labels::load(None).get("export.case_number"), "案件编号");
        assert_eq!(
            Labels::load(Some("en")).get("export.case_number"),
            "Case number"
        );
        assert_eq!(Labels::load(None).get("no.such.key"), "no.such.key");
    }
}
