//! Leads, people, cases and case events.

use domain::case::PriorityGroup;
use sqlx::FromRow;

use super::bulk::Value;
use super::{on_db, on_tx, Db, StorageResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub id_number: Option<String>,
    pub village_id: i64,
    pub village_name: String,
    pub phone: Option<String>,
    pub priority_groups: String,
}

pub struct NewPerson<'a> {
    pub name: &'a str,
    pub id_number: Option<&'a str>,
    pub village_id: i64,
    pub phone: Option<&'a str>,
    pub priority_groups: &'a str,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct LeadRow {
    pub id: i64,
    pub channel: String,
    pub channel_detail: Option<String>,
    pub received_on: String,
    pub reporter: String,
    pub summary: String,
    pub status: String,
    pub decline_reason: Option<String>,
    pub case_id: Option<i64>,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at: i64,
    /// The officer assigned the case the lead became, once accepted.
    pub case_officer_id: Option<i64>,
}

pub struct NewLeadRow<'a> {
    pub channel: &'a str,
    pub channel_detail: Option<&'a str>,
    pub received_on: &'a str,
    pub reporter: &'a str,
    pub summary: &'a str,
    pub created_by: i64,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct DuplicateRow {
    pub person_name: String,
    pub kind: String,
    pub id: i64,
    pub label: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub number: String,
    pub state: String,
    pub lead_id: i64,
    pub channel: String,
    pub summary: String,
    pub applicant_id: i64,
    pub applicant_name: String,
    pub applicant_groups: String,
    pub agent_id: Option<i64>,
    pub agent_relationship: Option<String>,
    pub criminal_case_ref: Option<String>,
    pub village_id: i64,
    pub village_name: String,
    pub officer_id: i64,
    pub officer_name: String,
    pub green_channel: bool,
    pub green_channel_confirmed: bool,
    pub green_channel_deadline: Option<i64>,
    pub proposed_amount_fen: Option<i64>,
    pub proposal_reasoning: Option<String>,
    pub approved_amount_fen: Option<i64>,
    pub accepted_at: i64,
    pub updated_at: i64,
    pub state_since: i64,
    pub archived_at: Option<i64>,
}

/// A case as the list shows it: only the columns of a list row, so a page
/// neither joins the lead nor carries its summary and the proposal's
/// reasoning through the driver.
#[derive(Debug, Clone, FromRow)]
pub struct CaseListRow {
    pub id: i64,
    pub number: String,
    pub state: String,
    pub applicant_name: String,
    pub applicant_groups: String,
    pub village_id: i64,
    pub village_name: String,
    pub officer_id: i64,
    pub officer_name: String,
    pub green_channel: bool,
    pub green_channel_confirmed: bool,
    pub green_channel_deadline: Option<i64>,
    pub proposed_amount_fen: Option<i64>,
    pub accepted_at: i64,
    pub updated_at: i64,
    pub state_since: i64,
}

pub struct NewCaseRow<'a> {
    pub number: &'a str,
    pub year: i64,
    pub seq: i64,
    pub lead_id: i64,
    pub applicant_id: i64,
    pub agent_id: Option<i64>,
    pub agent_relationship: Option<&'a str>,
    pub criminal_case_ref: Option<&'a str>,
    pub village_id: i64,
    pub officer_id: i64,
    pub green_channel: bool,
    pub green_channel_deadline: Option<i64>,
    /// The applicant's priority groups as bits (`PriorityGroup::bit`).
    pub applicant_groups: i64,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub at: i64,
    pub actor_id: i64,
    pub actor_name: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub amount_fen: Option<i64>,
    pub comment: Option<String>,
}

pub struct NewEvent<'a> {
    pub case_id: i64,
    pub at: i64,
    pub actor_id: i64,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub amount_fen: Option<i64>,
    pub comment: Option<&'a str>,
}

/// The filters of the case list; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub state: Option<String>,
    pub village_id: Option<i64>,
    pub officer_id: Option<i64>,
    pub year: Option<i64>,
    pub channel: Option<String>,
    pub priority_group: Option<String>,
    /// Case number or applicant name, matched as a substring.
    pub text: Option<String>,
    /// Only cases whose current stage ran past its limit.
    pub overdue: Option<OverdueFilter>,
    /// Green-channel cases first (the supervisor's inbox).
    pub green_first: bool,
    pub limit: i64,
    pub offset: i64,
    /// Count matches up to here: a broad filter then reads at most this many
    /// index entries, not all of them.
    pub count_cap: i64,
}

/// Which stages are overdue at `now`: (state, green channel, limit in ms).
#[derive(Debug, Clone)]
pub struct OverdueFilter {
    pub now: i64,
    pub limits: Vec<(&'static str, bool, i64)>,
}

impl OverdueFilter {
    /// `state_since < now - limit`, one arm per state and channel, so each
    /// arm is a range of the stage-clock index (migration 0015). The states
    /// and numbers come from the configuration, never from the request, so
    /// writing them into the text is safe.
    fn condition(&self, now_placeholder: &str) -> String {
        if self.limits.is_empty() {
            return "1 = 0".to_string();
        }
        let arms: Vec<String> = self
            .limits
            .iter()
            .map(|(state, green, ms)| {
                format!(
                    "(c.state = '{state}' AND c.green_channel = {} AND c.state_since < {now_placeholder} - {ms})",
                    if *green { "TRUE" } else { "FALSE" }
                )
            })
            .collect();
        format!("({})", arms.join(" OR "))
    }
}

enum Bind {
    Int(i64),
    Text(String),
}

/// Binds a filter's values to a query, in order.
macro_rules! bind_filter {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                Bind::Int(v) => query.bind(*v),
                Bind::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }};
}

const PERSON_SELECT: &str = "SELECT p.id, p.name, p.id_number, p.village_id, v.name AS village_name, p.phone, p.priority_groups \
     FROM people p JOIN villages v ON v.id = p.village_id";

const CASE_SELECT: &str = "SELECT c.id, c.number, c.state, c.lead_id, l.channel, l.summary, \
     c.applicant_id, p.name AS applicant_name, p.priority_groups AS applicant_groups, \
     c.agent_id, c.agent_relationship, c.criminal_case_ref, c.village_id, v.name AS village_name, \
     c.officer_id, u.display_name AS officer_name, c.green_channel, c.green_channel_confirmed, c.green_channel_deadline, \
     c.proposed_amount_fen, c.proposal_reasoning, c.approved_amount_fen, c.accepted_at, c.updated_at, c.state_since, c.archived_at \
     FROM cases c JOIN leads l ON l.id = c.lead_id JOIN people p ON p.id = c.applicant_id \
     JOIN villages v ON v.id = c.village_id JOIN users u ON u.id = c.officer_id";

const LIST_COLUMNS: &str = "SELECT c.id, c.number, c.state, p.name AS applicant_name, \
     p.priority_groups AS applicant_groups, c.village_id, v.name AS village_name, \
     c.officer_id, u.display_name AS officer_name, c.green_channel, c.green_channel_confirmed, \
     c.green_channel_deadline, c.proposed_amount_fen, c.accepted_at, c.updated_at, c.state_since";
const LIST_JOINS: &str = " FROM cases c JOIN people p ON p.id = c.applicant_id \
     JOIN villages v ON v.id = c.village_id JOIN users u ON u.id = c.officer_id";

pub async fn insert_person(tx: &mut Tx, person: &NewPerson<'_>) -> StorageResult<i64> {
    let sql =
        "INSERT INTO people (name, id_number, village_id, phone, priority_groups, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let id = on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(person.name)
        .bind(person.id_number)
        .bind(person.village_id)
        .bind(person.phone)
        .bind(person.priority_groups)
        .bind(person.now)
        .fetch_one(conn)
        .await)?;
    let grams: Vec<Vec<Value>> = name_grams(person.name)
        .into_iter()
        .map(|gram| vec![Value::Text(gram), Value::Int(id)])
        .collect();
    super::bulk::insert_rows(tx, "person_name_grams", &["gram", "person_id"], &grams).await?;
    let groups: Vec<Vec<Value>> = group_rows(person.priority_groups)
        .map(|group| vec![Value::Text(group.to_string()), Value::Int(id)])
        .collect();
    super::bulk::insert_rows(
        tx,
        "person_groups",
        &["priority_group", "person_id"],
        &groups,
    )
    .await?;
    Ok(id)
}

/// The rows of `person_groups` for a stored group list ("minor,disabled").
pub fn group_rows(groups: &str) -> impl Iterator<Item = &str> {
    groups.split(',').filter(|g| !g.is_empty())
}

/// Longest substring kept in the name index; longer queries are checked after the lookup.
pub const MAX_GRAM: usize = 4;

/// The distinct substrings of one to [`MAX_GRAM`] characters of a name: the
/// rows of `person_name_grams` (see migration 0004).
pub fn name_grams(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut grams: Vec<String> = (0..chars.len())
        .flat_map(|start| {
            let chars = &chars;
            (1..=MAX_GRAM)
                .filter(move |n| start + n <= chars.len())
                .map(move |n| chars[start..start + n].iter().collect())
        })
        .collect();
    grams.sort();
    grams.dedup();
    grams
}

/// The year and sequence of "…〔2026〕3号" (the 号 may be left off).
fn year_and_seq(text: &str) -> Option<(i64, i64)> {
    let (_, rest) = text.split_once('〔')?;
    let (year, rest) = rest.split_once('〕')?;
    let seq = rest.strip_suffix('号').unwrap_or(rest);
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if year.len() == 4 && digits(year) && digits(seq) {
        Some((year.parse().ok()?, seq.parse().ok()?))
    } else {
        None
    }
}

/// How a search text is matched, chosen so that each kind uses an index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TextSearch {
    /// Digits only: the number's sequence, in any year.
    Seq(i64),
    /// 〔2026〕3号, with or without the prefix: that year's case 3.
    YearSeq(i64, i64),
    /// Looks like a case number (寿检司救受〔2026〕3号): a substring of the number.
    Number(String),
    /// Other text with digits: either; this one scans, but real names have no digits.
    NameOrNumber(String),
    /// Anything else: a substring of the applicant's name.
    Name(String),
}

impl TextSearch {
    fn classify(text: &str) -> TextSearch {
        let text = text.trim();
        if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(seq) = text.parse() {
                return TextSearch::Seq(seq);
            }
        }
        if let Some((year, seq)) = year_and_seq(text) {
            return TextSearch::YearSeq(year, seq);
        }
        if text.contains(['〔', '〕', '号']) {
            return TextSearch::Number(text.to_string());
        }
        if text.chars().any(|c| c.is_ascii_digit()) {
            return TextSearch::NameOrNumber(text.to_string());
        }
        TextSearch::Name(text.to_string())
    }
}

/// Open leads and open cases about a person with this ID number, or this name in this village.
pub async fn find_duplicates(
    tx: &mut Tx,
    id_number: Option<&str>,
    name: &str,
    village_id: i64,
) -> StorageResult<Vec<DuplicateRow>> {
    let sql = "SELECT p.name AS person_name, 'lead' AS kind, l.id AS id, l.received_on AS label \
               FROM people p JOIN lead_people lp ON lp.person_id = p.id JOIN leads l ON l.id = lp.lead_id \
               WHERE l.status = 'open' AND (p.id_number = $1 OR (p.name = $2 AND p.village_id = $3)) \
               UNION ALL \
               SELECT p.name AS person_name, 'case' AS kind, c.id AS id, c.number AS label \
               FROM people p JOIN cases c ON c.applicant_id = p.id OR c.agent_id = p.id \
               WHERE c.state NOT IN ('closed', 'withdrawn') AND (p.id_number = $1 OR (p.name = $2 AND p.village_id = $3))";
    on_tx!(tx, conn => sqlx::query_as::<_, DuplicateRow>(sql).bind(id_number).bind(name).bind(village_id).fetch_all(conn).await)
}

pub async fn insert_lead(tx: &mut Tx, lead: &NewLeadRow<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO leads (channel, channel_detail, received_on, reporter, summary, status, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(lead.channel)
        .bind(lead.channel_detail)
        .bind(lead.received_on)
        .bind(lead.reporter)
        .bind(lead.summary)
        .bind(lead.created_by)
        .bind(lead.now)
        .fetch_one(conn)
        .await)
}

pub async fn link_lead_person(
    tx: &mut Tx,
    lead_id: i64,
    person_id: i64,
    position: i64,
) -> StorageResult<()> {
    let sql = "INSERT INTO lead_people (lead_id, person_id, position) VALUES ($1, $2, $3)";
    on_tx!(tx, conn => sqlx::query(sql).bind(lead_id).bind(person_id).bind(position).execute(conn).await.map(|_| ()))
}

fn lead_select() -> String {
    "SELECT l.id, l.channel, l.channel_detail, l.received_on, l.reporter, l.summary, l.status, l.decline_reason, \
     l.case_id, l.created_by, u.display_name AS created_by_name, l.created_at, c.officer_id AS case_officer_id \
     FROM leads l JOIN users u ON u.id = l.created_by LEFT JOIN cases c ON c.id = l.case_id"
        .to_string()
}

pub async fn find_lead(db: &Db, id: i64) -> StorageResult<Option<LeadRow>> {
    let sql = format!("{} WHERE l.id = $1", lead_select());
    on_db!(db, pool => sqlx::query_as::<_, LeadRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_lead_tx(tx: &mut Tx, id: i64) -> StorageResult<Option<LeadRow>> {
    let sql = format!("{} WHERE l.id = $1", lead_select());
    on_tx!(tx, conn => sqlx::query_as::<_, LeadRow>(&sql).bind(id).fetch_optional(conn).await)
}

pub async fn list_leads(
    db: &Db,
    status: Option<&str>,
    channel: Option<&str>,
    limit: i64,
) -> StorageResult<Vec<LeadRow>> {
    let sql = format!(
        "{} WHERE ($1 IS NULL OR l.status = $1) AND ($2 IS NULL OR l.channel = $2) ORDER BY l.id DESC LIMIT $3",
        lead_select()
    );
    on_db!(db, pool => sqlx::query_as::<_, LeadRow>(&sql).bind(status).bind(channel).bind(limit).fetch_all(pool).await)
}

pub async fn lead_people(db: &Db, lead_id: i64) -> StorageResult<Vec<PersonRow>> {
    let sql = format!("{PERSON_SELECT} JOIN lead_people lp ON lp.person_id = p.id WHERE lp.lead_id = $1 ORDER BY lp.position");
    on_db!(db, pool => sqlx::query_as::<_, PersonRow>(&sql).bind(lead_id).fetch_all(pool).await)
}

pub async fn lead_people_tx(tx: &mut Tx, lead_id: i64) -> StorageResult<Vec<PersonRow>> {
    let sql = format!("{PERSON_SELECT} JOIN lead_people lp ON lp.person_id = p.id WHERE lp.lead_id = $1 ORDER BY lp.position");
    on_tx!(tx, conn => sqlx::query_as::<_, PersonRow>(&sql).bind(lead_id).fetch_all(conn).await)
}

pub async fn find_person(db: &Db, id: i64) -> StorageResult<Option<PersonRow>> {
    let sql = format!("{PERSON_SELECT} WHERE p.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, PersonRow>(&sql).bind(id).fetch_optional(pool).await)
}

/// Closes an open lead (accepted or declined); false when it was not open any more.
pub async fn close_lead(
    tx: &mut Tx,
    id: i64,
    status: &str,
    reason: Option<&str>,
    case_id: Option<i64>,
    now: i64,
) -> StorageResult<bool> {
    let sql = "UPDATE leads SET status = $1, decline_reason = $2, case_id = $3, updated_at = $4 WHERE id = $5 AND status = 'open'";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(status).bind(reason).bind(case_id).bind(now).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The next case number of `year`, race-free across instances.
pub async fn next_case_seq(tx: &mut Tx, year: i64) -> StorageResult<i64> {
    let sql = "INSERT INTO case_counters (year, last_seq) VALUES ($1, 1) \
               ON CONFLICT (year) DO UPDATE SET last_seq = case_counters.last_seq + 1 RETURNING last_seq";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(year).fetch_one(conn).await)
}

pub async fn insert_case(tx: &mut Tx, case: &NewCaseRow<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO cases (number, year, seq, lead_id, state, applicant_id, agent_id, agent_relationship, \
               criminal_case_ref, village_id, officer_id, green_channel, green_channel_deadline, accepted_at, updated_at, state_since, \
               applicant_groups) \
               VALUES ($1, $2, $3, $4, 'accepted', $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $13, $14) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(case.number)
        .bind(case.year)
        .bind(case.seq)
        .bind(case.lead_id)
        .bind(case.applicant_id)
        .bind(case.agent_id)
        .bind(case.agent_relationship)
        .bind(case.criminal_case_ref)
        .bind(case.village_id)
        .bind(case.officer_id)
        .bind(case.green_channel)
        .bind(case.green_channel_deadline)
        .bind(case.now)
        .bind(case.applicant_groups)
        .fetch_one(conn)
        .await)
}

pub async fn insert_event(tx: &mut Tx, event: &NewEvent<'_>) -> StorageResult<()> {
    let sql = "INSERT INTO case_events (case_id, at, actor_id, action, from_state, to_state, amount_fen, comment) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(event.case_id)
        .bind(event.at)
        .bind(event.actor_id)
        .bind(event.action)
        .bind(event.from_state)
        .bind(event.to_state)
        .bind(event.amount_fen)
        .bind(event.comment)
        .execute(conn)
        .await
        .map(|_| ()))
}

pub async fn find_case(db: &Db, id: i64) -> StorageResult<Option<CaseRow>> {
    let sql = format!("{CASE_SELECT} WHERE c.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, CaseRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_case_tx(tx: &mut Tx, id: i64) -> StorageResult<Option<CaseRow>> {
    let sql = format!("{CASE_SELECT} WHERE c.id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, CaseRow>(&sql).bind(id).fetch_optional(conn).await)
}

pub async fn case_events(db: &Db, case_id: i64) -> StorageResult<Vec<EventRow>> {
    let sql = "SELECT e.at, e.actor_id, u.display_name AS actor_name, e.action, e.from_state, e.to_state, e.amount_fen, e.comment \
               FROM case_events e JOIN users u ON u.id = e.actor_id WHERE e.case_id = $1 ORDER BY e.id";
    on_db!(db, pool => sqlx::query_as::<_, EventRow>(sql).bind(case_id).fetch_all(pool).await)
}

/// Moves a case from `from` to `to`, writing the proposal fields given. The
/// `state = from` condition makes two racing transitions safe: one wins, the
/// other changes nothing and gets `false`.
#[allow(clippy::too_many_arguments)]
pub async fn update_state(
    tx: &mut Tx,
    id: i64,
    from: &str,
    to: &str,
    proposed_amount_fen: Option<i64>,
    proposal_reasoning: Option<&str>,
    approved_amount_fen: Option<i64>,
    now: i64,
) -> StorageResult<bool> {
    let sql = "UPDATE cases SET state = $1, \
               proposed_amount_fen = COALESCE($2, proposed_amount_fen), \
               proposal_reasoning = COALESCE($3, proposal_reasoning), \
               approved_amount_fen = COALESCE($4, approved_amount_fen), updated_at = $5, state_since = $5 \
               WHERE id = $6 AND state = $7";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(to)
        .bind(proposed_amount_fen)
        .bind(proposal_reasoning)
        .bind(approved_amount_fen)
        .bind(now)
        .bind(id)
        .bind(from)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Confirms a requested green channel; false when it was not requested or already confirmed.
pub async fn confirm_green_channel(tx: &mut Tx, id: i64, now: i64) -> StorageResult<bool> {
    let sql = "UPDATE cases SET green_channel_confirmed = TRUE, updated_at = $1 \
               WHERE id = $2 AND green_channel AND NOT green_channel_confirmed";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(now).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Turns down a requested, unconfirmed green channel: the case goes on as an
/// ordinary one. False when there was nothing to turn down.
pub async fn decline_green_channel(tx: &mut Tx, id: i64, now: i64) -> StorageResult<bool> {
    let sql =
        "UPDATE cases SET green_channel = FALSE, green_channel_deadline = NULL, updated_at = $1 \
               WHERE id = $2 AND green_channel AND NOT green_channel_confirmed";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(now).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The years that have cases, newest first. `SELECT DISTINCT year` would
/// walk the whole year index, one entry per case, on every case-list page;
/// this hops from year to year down the index instead, a lookup per year.
pub async fn case_years(db: &Db) -> StorageResult<Vec<i64>> {
    let sql = "WITH RECURSIVE years (year) AS ( \
                 SELECT MAX(year) FROM cases \
                 UNION ALL \
                 SELECT (SELECT MAX(c.year) FROM cases c WHERE c.year < years.year) \
                 FROM years WHERE years.year IS NOT NULL \
               ) \
               SELECT year FROM years WHERE year IS NOT NULL";
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_all(pool).await)
}

/// A filter as SQL: the joins its conditions need, the WHERE clause (empty
/// or starting with " WHERE") and the values bound to it.
struct FilterSql {
    joins: String,
    where_clause: String,
    binds: Vec<Bind>,
}

impl FilterSql {
    fn from(&self) -> String {
        format!("FROM cases c{}", self.joins)
    }
}

fn filter_sql(filter: &CaseFilter) -> FilterSql {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    // The count and the choice of the page join only the tables a condition
    // needs; the page's details are fetched for its few rows afterwards.
    let mut joins_people = false;
    let joins_leads = filter.channel.is_some();
    let mut add = |condition: &str, bind: Bind| {
        binds.push(bind);
        conditions.push(condition.replace('?', &format!("${}", binds.len())));
    };
    if let Some(state) = &filter.state {
        add("c.state = ?", Bind::Text(state.clone()));
    }
    if let Some(village_id) = filter.village_id {
        add("c.village_id = ?", Bind::Int(village_id));
    }
    if let Some(officer_id) = filter.officer_id {
        add("c.officer_id = ?", Bind::Int(officer_id));
    }
    if let Some(year) = filter.year {
        add("c.year = ?", Bind::Int(year));
    }
    if let Some(channel) = &filter.channel {
        add("l.channel = ?", Bind::Text(channel.clone()));
    }
    if let Some(group) = &filter.priority_group {
        // The applicant's groups are bits on the case, so with a village or
        // an officer the count reads one index range (migration 0015).
        let bit = PriorityGroup::parse(group).map_or(0, PriorityGroup::bit);
        add("(c.applicant_groups & ?) <> 0", Bind::Int(bit));
    }
    if let Some(text) = &filter.text {
        let text = text.replace(['%', '_'], "");
        match TextSearch::classify(&text) {
            TextSearch::Seq(seq) => add("c.seq = ?", Bind::Int(seq)),
            TextSearch::YearSeq(year, seq) => {
                add("c.year = ?", Bind::Int(year));
                add("c.seq = ?", Bind::Int(seq));
            }
            TextSearch::Number(part) => add("c.number LIKE ?", Bind::Text(format!("%{part}%"))),
            TextSearch::NameOrNumber(part) => {
                joins_people = true;
                add(
                    "(c.number LIKE ? OR p.name LIKE ?)",
                    Bind::Text(format!("%{part}%")),
                );
            }
            TextSearch::Name(part) => {
                let lookup: String = part.chars().take(MAX_GRAM).collect();
                add(
                    "c.applicant_id IN (SELECT g.person_id FROM person_name_grams g WHERE g.gram = ?)",
                    Bind::Text(lookup.clone()),
                );
                if lookup != part {
                    joins_people = true;
                    add("p.name LIKE ?", Bind::Text(format!("%{part}%")));
                }
            }
        }
    }
    if let Some(overdue) = &filter.overdue {
        binds.push(Bind::Int(overdue.now));
        conditions.push(overdue.condition(&format!("${}", binds.len())));
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let joins = format!(
        "{}{}",
        if joins_leads {
            " JOIN leads l ON l.id = c.lead_id"
        } else {
            ""
        },
        if joins_people {
            " JOIN people p ON p.id = c.applicant_id"
        } else {
            ""
        },
    );
    FilterSql {
        joins,
        where_clause,
        binds,
    }
}

/// One page of the case list and how many cases match.
#[derive(Debug)]
pub struct CaseListing {
    pub rows: Vec<CaseListRow>,
    /// Exact up to the filter's `count_cap`; the cap when more match.
    pub total: i64,
    pub total_exact: bool,
}

/// How the ids of a page are found. The planners of both databases guess
/// how many rows a filter matches and at a million cases guess wrong either
/// way; the capped count, taken first, knows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PagePlan {
    /// Many match: walk the index in the list's order from the top, keep the
    /// matching cases and stop after the page. A few hundred rows read where
    /// sorting every match would read hundreds of thousands.
    WalkOrder,
    /// Many match within a year (or an officer's year): walk that year's
    /// part of `index` twice, green channel and the rest, each in the list's
    /// order, and merge the two page-sized heads. A past year's page then
    /// never steps over the newer years' cases.
    WalkYear { index: &'static str },
    /// Few match (at most the cap): gather them through the filter's own
    /// indexes first, then sort only those.
    SortMatches,
}

impl PagePlan {
    fn choose(filter: &CaseFilter, counted: i64) -> PagePlan {
        if counted <= filter.count_cap {
            return PagePlan::SortMatches;
        }
        match (filter.officer_id, filter.year) {
            (Some(_), Some(_)) => PagePlan::WalkYear {
                index: "cases_officer_year_order",
            },
            (None, Some(_)) => PagePlan::WalkYear {
                index: "cases_year_order",
            },
            _ => PagePlan::WalkOrder,
        }
    }
}

/// A row of a page that also carries the capped count of the whole list.
#[derive(Debug, FromRow)]
struct CountedCaseRow {
    #[sqlx(flatten)]
    case: CaseListRow,
    matched: i64,
}

/// One page of cases matching `filter`, and how many match (up to the cap).
pub async fn list_cases(db: &Db, filter: &CaseFilter) -> StorageResult<CaseListing> {
    let sql = filter_sql(filter);
    let count_sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 {}{} LIMIT {}) matches",
        sql.from(),
        sql.where_clause,
        filter.count_cap + 1
    );
    let listing = |rows, counted: i64| CaseListing {
        rows,
        total: counted.min(filter.count_cap),
        total_exact: counted <= filter.count_cap,
    };
    if sql.where_clause.is_empty() {
        // Every case matches, so walking the list's order is the best plan
        // whatever the count: the count needs no query of its own and rides
        // along in the page's, one round trip to the database instead of two.
        let list_sql = page_sql(db, filter, &sql, PagePlan::WalkOrder, Some(&count_sql));
        let rows = on_db!(db, pool => {
            sqlx::query_as::<_, CountedCaseRow>(&list_sql)
                .fetch_all(pool)
                .await?
        });
        // A page past the end has no row to carry the count.
        if let Some(counted) = rows.first().map(|row| row.matched) {
            return Ok(listing(
                rows.into_iter().map(|row| row.case).collect(),
                counted,
            ));
        }
    }
    let counted: i64 = on_db!(db, pool => {
        bind_filter!(sqlx::query_scalar::<_, i64>(&count_sql), &sql.binds)
            .fetch_one(pool)
            .await?
    });
    let plan = PagePlan::choose(filter, counted);
    let list_sql = page_sql(db, filter, &sql, plan, None);
    let rows = on_db!(db, pool => {
        bind_filter!(sqlx::query_as::<_, CaseListRow>(&list_sql), &sql.binds)
            .fetch_all(pool)
            .await?
    });
    Ok(listing(rows, counted))
}

/// The query of one page: the ids by `plan`, then the rows of those ids,
/// each with the result of `count_sql` as `matched` when it is given.
fn page_sql(
    db: &Db,
    filter: &CaseFilter,
    sql: &FilterSql,
    plan: PagePlan,
    count_sql: Option<&str>,
) -> String {
    // The order, its index, and the same order over the CTE's columns.
    let (order_index, qualified, order) = if filter.green_first {
        (
            "cases_green_updated",
            "c.green_channel DESC, c.updated_at DESC, c.id DESC",
            "green_channel DESC, updated_at DESC, id DESC",
        )
    } else {
        (
            "cases_updated",
            "c.updated_at DESC, c.id DESC",
            "updated_at DESC, id DESC",
        )
    };
    // The page's bounds are written into the text, not bound. PostgreSQL
    // plans a statement with parameters afresh on every run while its generic
    // plan, blind to the LIMIT, looks costlier, and planning this query took
    // three times as long as running it; without parameters it is planned
    // once per connection. Both are integers the service has clamped.
    let (limit, offset) = (filter.limit, filter.offset);
    let where_clause = &sql.where_clause;
    let ids = match (plan, db) {
        (PagePlan::WalkOrder, Db::Sqlite(_)) => format!(
            "SELECT c.id FROM cases c INDEXED BY {order_index}{} {where_clause} ORDER BY {qualified} LIMIT {limit} OFFSET {offset}",
            sql.joins
        ),
        (PagePlan::WalkOrder, Db::Postgres(_)) => format!(
            "SELECT c.id {}{where_clause} ORDER BY {qualified} LIMIT {limit} OFFSET {offset}",
            sql.from()
        ),
        (PagePlan::WalkYear { index }, _) => {
            // The year is in the filter, so the WHERE clause is never empty.
            let hint = match db {
                Db::Sqlite(_) => format!(" INDEXED BY {index}"),
                Db::Postgres(_) => String::new(),
            };
            let arm = |green: &str| {
                format!(
                    "SELECT * FROM (SELECT c.id, c.green_channel, c.updated_at FROM cases c{hint}{} \
                     {where_clause} AND c.green_channel = {green} \
                     ORDER BY c.updated_at DESC, c.id DESC LIMIT {}) {}",
                    sql.joins,
                    limit.saturating_add(offset),
                    if green == "TRUE" { "green" } else { "plain" }
                )
            };
            format!(
                "SELECT id FROM ({} UNION ALL {}) arms ORDER BY {order} LIMIT {limit} OFFSET {offset}",
                arm("TRUE"),
                arm("FALSE")
            )
        }
        // A materialized CTE is planned on its own, without the ORDER BY that
        // would tempt the planner into walking the order index after all.
        (PagePlan::SortMatches, _) => format!(
            "WITH matches AS MATERIALIZED (SELECT c.id, c.green_channel, c.updated_at {}{where_clause}) \
             SELECT id FROM matches ORDER BY {order} LIMIT {limit} OFFSET {offset}",
            sql.from()
        ),
    };
    let count_column = count_sql.map_or(String::new(), |count| format!(", ({count}) AS matched"));
    format!("{LIST_COLUMNS}{count_column}{LIST_JOINS} WHERE c.id IN ({ids}) ORDER BY {qualified}")
}

/// A case as exported: what the list shows, with the applicant's ID number
/// and phone (which the export masks) and the township.
#[derive(Debug, Clone, FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub number: String,
    pub state: String,
    pub accepted_at: i64,
    pub applicant_name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub township_name: String,
    pub village_name: String,
    pub officer_id: i64,
    pub officer_name: String,
    pub channel: String,
    pub applicant_groups: String,
    pub green_channel: bool,
    pub proposed_amount_fen: Option<i64>,
    pub approved_amount_fen: Option<i64>,
}

/// Up to `limit` cases matching `filter` with ids above `after_id`, in id
/// order: an export walks the whole list a page at a time, so it never holds
/// more than a page and never keeps a read open for the whole download.
pub async fn export_page(
    db: &Db,
    filter: &CaseFilter,
    after_id: i64,
    limit: i64,
) -> StorageResult<Vec<ExportRow>> {
    let FilterSql {
        joins,
        where_clause,
        binds,
    } = filter_sql(filter);
    let keyset = if where_clause.is_empty() {
        " WHERE"
    } else {
        " AND"
    };
    let sql = format!(
        "SELECT c.id, c.number, c.state, c.accepted_at, p.name AS applicant_name, p.id_number, p.phone, \
         t.name AS township_name, v.name AS village_name, c.officer_id, u.display_name AS officer_name, l.channel, \
         p.priority_groups AS applicant_groups, c.green_channel, c.proposed_amount_fen, c.approved_amount_fen \
         FROM cases c JOIN leads l ON l.id = c.lead_id JOIN people p ON p.id = c.applicant_id \
         JOIN villages v ON v.id = c.village_id JOIN townships t ON t.id = v.township_id \
         JOIN users u ON u.id = c.officer_id \
         WHERE c.id IN (SELECT c.id FROM cases c{joins}{where_clause}{keyset} c.id > ${} ORDER BY c.id LIMIT ${}) ORDER BY c.id",
        binds.len() + 1,
        binds.len() + 2
    );
    on_db!(db, pool => {
        bind_filter!(sqlx::query_as::<_, ExportRow>(&sql), &binds)
            .bind(after_id)
            .bind(limit)
            .fetch_all(pool)
            .await
    })
}

/// A case about a child, as an export of the list goes out: for the read log.
#[derive(Debug, Clone, FromRow)]
pub struct ProtectedCaseRow {
    pub id: i64,
    pub officer_id: i64,
}

/// The protected cases (a child is the applicant or the agent, as
/// `storage::privacy::case_is_protected` says) among those matching `filter`,
/// in id order: what an export of the list discloses about children.
pub async fn protected_cases_matching(
    db: &Db,
    filter: &CaseFilter,
) -> StorageResult<Vec<ProtectedCaseRow>> {
    let filter = filter_sql(filter);
    let sql = format!(
        "SELECT pc.id, pc.officer_id FROM cases pc \
         WHERE pc.id IN (SELECT c.id {}{}) \
         AND EXISTS (SELECT 1 FROM person_groups g \
                     WHERE (g.person_id = pc.applicant_id OR g.person_id = pc.agent_id) \
                     AND g.priority_group = 'minor') \
         ORDER BY pc.id",
        filter.from(),
        filter.where_clause
    );
    on_db!(db, pool => {
        bind_filter!(sqlx::query_as::<_, ProtectedCaseRow>(&sql), &filter.binds)
            .fetch_all(pool)
            .await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_indexed_by_its_short_substrings() {
        assert_eq!(
            name_grams("张小明"),
            ["小", "小明", "张", "张小", "张小明", "明"]
        );
        // Five characters: substrings up to four only.
        let grams = name_grams("欧阳小明明");
        assert!(grams.contains(&"欧阳小明".to_string()));
        assert!(!grams.iter().any(|g| g.chars().count() > MAX_GRAM));
        // Repeats are stored once.
        assert_eq!(grams.iter().filter(|g| *g == "明").count(), 1);
    }

    #[test]
    fn search_text_is_matched_by_number_sequence_or_name() {
        assert_eq!(TextSearch::classify(" 12 "), TextSearch::Seq(12));
        assert_eq!(
            TextSearch::classify("〔2026〕3号"),
            TextSearch::YearSeq(2026, 3)
        );
        assert_eq!(
            TextSearch::classify("寿检司救受〔2026〕12"),
            TextSearch::YearSeq(2026, 12)
        );
        assert_eq!(
            TextSearch::classify("〔2026〕"),
            TextSearch::Number("〔2026〕".into())
        );
        assert_eq!(
            TextSearch::classify("2026"),
            TextSearch::Seq(2026),
            "digits alone are a sequence"
        );
        assert_eq!(
            TextSearch::classify("小明"),
            TextSearch::Name("小明".into())
        );
        assert_eq!(
            TextSearch::classify("测试301"),
            TextSearch::NameOrNumber("测试301".into())
        );
    }
}
