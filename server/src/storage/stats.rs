//! The aggregates behind supervisors' statistics: one query per figure over
//! a half-open time range (UTC ms) or a range of China dates (for columns
//! stored as `YYYY-MM-DD`), narrowed to a county, township, village or officer.
//!
//! Each query reads a covering index of migration 0012, so a year of a
//! million-case county is counted from the index alone.

use sqlx::FromRow;

use super::{on_db, Db, StorageResult};

/// Which cases (and leads) the figures cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    County,
    Township(i64),
    Village(i64),
    Officer(i64),
}

impl Scope {
    fn id(self) -> Option<i64> {
        match self {
            Scope::County => None,
            Scope::Township(id) | Scope::Village(id) | Scope::Officer(id) => Some(id),
        }
    }

    /// The condition on `cases c`, with the scope's id as `$3`.
    fn on_cases(self) -> &'static str {
        match self {
            Scope::County => "",
            Scope::Township(_) => {
                " AND c.village_id IN (SELECT vt.id FROM villages vt WHERE vt.township_id = $3)"
            }
            Scope::Village(_) => " AND c.village_id = $3",
            Scope::Officer(_) => " AND c.officer_id = $3",
        }
    }

    /// The condition on `leads l`: an officer's leads are those they logged;
    /// a place's are those whose first person (the applicant) lives there.
    fn on_leads(self) -> &'static str {
        match self {
            Scope::County => "",
            Scope::Township(_) => {
                " AND EXISTS (SELECT 1 FROM lead_people lp JOIN people p ON p.id = lp.person_id \
                 JOIN villages vt ON vt.id = p.village_id \
                 WHERE lp.lead_id = l.id AND lp.position = 0 AND vt.township_id = $3)"
            }
            Scope::Village(_) => {
                " AND EXISTS (SELECT 1 FROM lead_people lp JOIN people p ON p.id = lp.person_id \
                 WHERE lp.lead_id = l.id AND lp.position = 0 AND p.village_id = $3)"
            }
            Scope::Officer(_) => " AND l.created_by = $3",
        }
    }

    /// Joins `cases c` only when the scope needs it.
    fn join_cases(self, on: &str) -> String {
        match self {
            Scope::County => String::new(),
            _ => format!(" JOIN cases c ON c.id = {on}"),
        }
    }
}

/// A time range: `[start, end)` in UTC ms, and the same days as China dates
/// `[from, to]` (both included) for date columns.
#[derive(Debug, Clone)]
pub struct Range {
    pub start: i64,
    pub end: i64,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct KeyCount {
    pub key: String,
    pub n: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct DecisionRow {
    pub key: String,
    pub n: i64,
    pub fen: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct HandledRow {
    pub handled: i64,
    pub green: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct DurationRow {
    pub accepted_at: i64,
    pub first_paid_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct FollowUpRow {
    pub case_id: i64,
    pub paid_at: i64,
    pub visited_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ReferralCount {
    pub agency_id: i64,
    pub agency_name: String,
    pub key: String,
    pub n: i64,
}

/// Runs `$sql` with two range binds and the scope's id as `$3` when it has one.
macro_rules! scoped {
    ($db:expr, $scope:expr, $query:ident::<$row:ty>($sql:expr), $a:expr, $b:expr, $fetch:ident) => {{
        let sql: &str = $sql;
        on_db!($db, pool => {
            let query = sqlx::$query::<_, $row>(sql).bind($a).bind($b);
            match $scope.id() {
                Some(id) => query.bind(id).$fetch(pool).await,
                None => query.$fetch(pool).await,
            }
        })
    }};
}

/// Leads received in the range, by channel.
pub async fn leads_by_channel(
    db: &Db,
    scope: Scope,
    range: &Range,
) -> StorageResult<Vec<KeyCount>> {
    let sql = format!(
        "SELECT l.channel AS key, COUNT(*) AS n FROM leads l \
         WHERE l.received_on >= $1 AND l.received_on <= $2{} GROUP BY l.channel",
        scope.on_leads()
    );
    scoped!(
        db,
        scope,
        query_as::<KeyCount>(&sql),
        &range.from,
        &range.to,
        fetch_all
    )
}

/// Cases accepted in the range, and how many of them are green-channel cases.
pub async fn handled(db: &Db, scope: Scope, range: &Range) -> StorageResult<HandledRow> {
    let sql = format!(
        "SELECT COUNT(*) AS handled, \
         CAST(COALESCE(SUM(CASE WHEN c.green_channel THEN 1 ELSE 0 END), 0) AS BIGINT) AS green \
         FROM cases c WHERE c.accepted_at >= $1 AND c.accepted_at < $2{}",
        scope.on_cases()
    );
    scoped!(
        db,
        scope,
        query_as::<HandledRow>(&sql),
        range.start,
        range.end,
        fetch_one
    )
}

/// Approvals and refusals in the range: distinct cases and the fen approved.
pub async fn decisions(db: &Db, scope: Scope, range: &Range) -> StorageResult<Vec<DecisionRow>> {
    let sql = format!(
        "SELECT e.action AS key, COUNT(DISTINCT e.case_id) AS n, \
         CAST(COALESCE(SUM(e.amount_fen), 0) AS BIGINT) AS fen \
         FROM case_events e{} \
         WHERE e.action IN ('approve', 'refuse') AND e.at >= $1 AND e.at < $2{} GROUP BY e.action",
        scope.join_cases("e.case_id"),
        scope.on_cases()
    );
    scoped!(
        db,
        scope,
        query_as::<DecisionRow>(&sql),
        range.start,
        range.end,
        fetch_all
    )
}

/// Fen paid on days in the range.
pub async fn paid_fen(db: &Db, scope: Scope, range: &Range) -> StorageResult<i64> {
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(m.amount_fen), 0) AS BIGINT) FROM money_payments m{} \
         WHERE m.paid_on >= $1 AND m.paid_on <= $2{}",
        scope.join_cases("m.case_id"),
        scope.on_cases()
    );
    scoped!(
        db,
        scope,
        query_scalar::<i64>(&sql),
        &range.from,
        &range.to,
        fetch_one
    )
}

/// Applicants whose aid was approved in the range: all, then by priority group.
pub async fn people_aided(
    db: &Db,
    scope: Scope,
    range: &Range,
) -> StorageResult<(i64, Vec<KeyCount>)> {
    let from = "FROM case_events e JOIN cases c ON c.id = e.case_id";
    let filter = format!(
        "WHERE e.action = 'approve' AND e.at >= $1 AND e.at < $2{}",
        scope.on_cases()
    );
    let total_sql = format!("SELECT COUNT(DISTINCT c.applicant_id) {from} {filter}");
    let groups_sql = format!(
        "SELECT pg.priority_group AS key, COUNT(DISTINCT c.applicant_id) AS n {from} \
         JOIN person_groups pg ON pg.person_id = c.applicant_id {filter} GROUP BY pg.priority_group"
    );
    let total = scoped!(
        db,
        scope,
        query_scalar::<i64>(&total_sql),
        range.start,
        range.end,
        fetch_one
    )?;
    let groups = scoped!(
        db,
        scope,
        query_as::<KeyCount>(&groups_sql),
        range.start,
        range.end,
        fetch_all
    )?;
    Ok((total, groups))
}

/// Green-channel cases accepted in the range that have a payment: when each
/// was accepted and when its first payment was recorded.
pub async fn green_durations(
    db: &Db,
    scope: Scope,
    range: &Range,
) -> StorageResult<Vec<DurationRow>> {
    let sql = format!(
        "SELECT c.accepted_at AS accepted_at, MIN(m.recorded_at) AS first_paid_at \
         FROM cases c JOIN money_payments m ON m.case_id = c.id \
         WHERE c.accepted_at >= $1 AND c.accepted_at < $2 AND c.green_channel = TRUE{} \
         GROUP BY c.id, c.accepted_at",
        scope.on_cases()
    );
    scoped!(
        db,
        scope,
        query_as::<DurationRow>(&sql),
        range.start,
        range.end,
        fetch_all
    )
}

/// Cases whose payment began in `[start, end)`, each with its follow-up
/// visits made after that (one row per visit, or one without a visit).
pub async fn paid_with_follow_ups(
    db: &Db,
    scope: Scope,
    start: i64,
    end: i64,
) -> StorageResult<Vec<FollowUpRow>> {
    let sql = format!(
        "SELECT e.case_id AS case_id, e.at AS paid_at, v.visited_at AS visited_at \
         FROM case_events e{} \
         LEFT JOIN visits v ON v.case_id = e.case_id \
           AND v.kind IN ('phone_follow_up', 'on_site_follow_up') AND v.visited_at >= e.at \
         WHERE e.action = 'start_payment' AND e.at >= $1 AND e.at < $2{}",
        scope.join_cases("e.case_id"),
        scope.on_cases()
    );
    scoped!(
        db,
        scope,
        query_as::<FollowUpRow>(&sql),
        start,
        end,
        fetch_all
    )
}

/// Referrals made in the range, per agency and the state they are in now.
pub async fn referrals(db: &Db, scope: Scope, range: &Range) -> StorageResult<Vec<ReferralCount>> {
    let sql = format!(
        "SELECT r.agency_id AS agency_id, a.name AS agency_name, r.state AS key, COUNT(*) AS n \
         FROM referrals r JOIN agencies a ON a.id = r.agency_id{} \
         WHERE r.created_at >= $1 AND r.created_at < $2{} \
         GROUP BY r.agency_id, a.name, r.state",
        scope.join_cases("r.case_id"),
        scope.on_cases()
    );
    scoped!(
        db,
        scope,
        query_as::<ReferralCount>(&sql),
        range.start,
        range.end,
        fetch_all
    )
}

/// The name of a township, village or officer, if it exists.
pub async fn scope_name(db: &Db, scope: Scope) -> StorageResult<Option<String>> {
    let sql = match scope {
        Scope::County => return Ok(None),
        Scope::Township(_) => "SELECT name FROM townships WHERE id = $1",
        Scope::Village(_) => "SELECT name FROM villages WHERE id = $1",
        Scope::Officer(_) => "SELECT display_name FROM users WHERE id = $1 AND role = 'officer'",
    };
    let id = scope.id().unwrap_or_default();
    on_db!(db, pool => sqlx::query_scalar::<_, String>(sql).bind(id).fetch_optional(pool).await)
}

/// All agencies (id, name), so every agency appears in the referral table.
pub async fn agencies(db: &Db) -> StorageResult<Vec<(i64, String)>> {
    let sql = "SELECT id, name FROM agencies ORDER BY id";
    on_db!(db, pool => sqlx::query_as::<_, (i64, String)>(sql).fetch_all(pool).await)
}
