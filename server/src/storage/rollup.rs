//! The statistics rollups (`stat_days`, migration 0014): reading the facts
//! they are computed from, applying changes to them, and summing a period.
//! What a fact counts for is decided in `service::rollup`.

use sqlx::FromRow;

use super::bulk::{self, Value};
use super::{on_db, on_tx, Db, StorageResult, Tx};

/// Which cases, leads or people to read: the few one write touched, or a
/// slice of ids while everything is rebuilt. Ids are integers, so they are
/// written into the SQL text as they are.
#[derive(Debug, Clone, Copy)]
pub enum Ids<'a> {
    These(&'a [i64]),
    Between(i64, i64),
}

impl Ids<'_> {
    fn on(self, column: &str) -> String {
        match self {
            Ids::These([]) => "1 = 0".to_string(),
            Ids::These(ids) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("{column} IN ({})", list.join(", "))
            }
            Ids::Between(first, last) => format!("{column} BETWEEN {first} AND {last}"),
        }
    }
}

/// A case as the statistics see it.
#[derive(Debug, Clone, FromRow)]
pub struct CaseFacts {
    pub id: i64,
    pub accepted_at: i64,
    pub green_channel: bool,
    pub village_id: i64,
    pub township_id: i64,
    pub officer_id: i64,
    pub applicant_id: i64,
}

/// An approval, refusal or start of payment.
#[derive(Debug, Clone, FromRow)]
pub struct Decision {
    pub case_id: i64,
    pub action: String,
    pub at: i64,
    pub amount_fen: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct Payment {
    pub case_id: i64,
    pub paid_on: String,
    pub amount_fen: i64,
    pub recorded_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct Referral {
    pub case_id: i64,
    pub agency_id: i64,
    pub state: String,
    pub created_at: i64,
}

/// A follow-up visit (by phone or on site).
#[derive(Debug, Clone, FromRow)]
pub struct FollowUp {
    pub case_id: i64,
    pub visited_at: i64,
}

/// One approved case of an applicant, where it counts.
#[derive(Debug, Clone, FromRow)]
pub struct Approval {
    pub applicant_id: i64,
    pub at: i64,
    pub village_id: i64,
    pub township_id: i64,
    pub officer_id: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct PersonGroup {
    pub person_id: i64,
    pub priority_group: String,
}

/// A lead, placed where its applicant (first person) lives, if it has one.
#[derive(Debug, Clone, FromRow)]
pub struct LeadFacts {
    pub id: i64,
    pub channel: String,
    pub received_on: String,
    pub created_by: i64,
    pub village_id: Option<i64>,
    pub township_id: Option<i64>,
}

/// One rollup cell and what it adds.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Cell {
    pub level: String,
    pub unit: i64,
    pub day: String,
    pub figure: String,
    pub since: String,
    pub n: i64,
    pub fen: i64,
}

/// A figure's sum over a period; `later` is 1 for the days from today on.
#[derive(Debug, Clone, FromRow)]
pub struct FigureSum {
    pub figure: String,
    pub later: i32,
    pub n: i64,
    pub fen: i64,
}

/// Everything about some cases that a figure can depend on.
#[derive(Debug, Default)]
pub struct CaseSources {
    pub cases: Vec<CaseFacts>,
    pub decisions: Vec<Decision>,
    pub payments: Vec<Payment>,
    pub referrals: Vec<Referral>,
    pub follow_ups: Vec<FollowUp>,
}

/// Reads what the figures of some cases depend on. Of each case's follow-up
/// visits only the first `follow_ups_counted` distinct times from the start of
/// payment on are read: later ones tick nothing off (see
/// `domain::stats::follow_up_outcomes`), and a case visited for years must not
/// make each new visit dearer to record.
pub async fn case_sources(
    tx: &mut Tx,
    ids: Ids<'_>,
    follow_ups_counted: usize,
) -> StorageResult<CaseSources> {
    let cases = format!(
        "SELECT c.id, c.accepted_at, c.green_channel, c.village_id, v.township_id, c.officer_id, c.applicant_id \
         FROM cases c JOIN villages v ON v.id = c.village_id WHERE {}",
        ids.on("c.id")
    );
    let decisions = format!(
        "SELECT case_id, action, at, amount_fen FROM case_events \
         WHERE {} AND action IN ('approve', 'refuse', 'start_payment')",
        ids.on("case_id")
    );
    let payments = format!(
        "SELECT case_id, paid_on, amount_fen, recorded_at FROM money_payments WHERE {}",
        ids.on("case_id")
    );
    let referrals = format!(
        "SELECT case_id, agency_id, state, created_at FROM referrals WHERE {}",
        ids.on("case_id")
    );
    let follow_ups = first_follow_ups(ids, follow_ups_counted);
    on_tx!(tx, conn => {
        Ok(CaseSources {
            cases: sqlx::query_as(&cases).fetch_all(&mut *conn).await?,
            decisions: sqlx::query_as(&decisions).fetch_all(&mut *conn).await?,
            payments: sqlx::query_as(&payments).fetch_all(&mut *conn).await?,
            referrals: sqlx::query_as(&referrals).fetch_all(&mut *conn).await?,
            follow_ups: sqlx::query_as(&follow_ups).fetch_all(&mut *conn).await?,
        })
    })
}

/// Above this many cases, one query ranks all their follow-ups instead of
/// one small query per case (SQLite caps the arms of a UNION at 500).
const CASES_LOOKED_UP_ONE_BY_ONE: usize = 16;

/// The query for the first `n` distinct follow-up times of each case, from
/// the case's first start of payment on.
fn first_follow_ups(ids: Ids<'_>, n: usize) -> String {
    const FOLLOW_UP: &str = "kind IN ('phone_follow_up', 'on_site_follow_up')";
    match ids {
        // A write touches a case or two: each case's follow-ups are read in
        // time order off the (case_id, visited_at) index, stopping after `n`.
        Ids::These(cases) if !cases.is_empty() && cases.len() <= CASES_LOOKED_UP_ONE_BY_ONE => {
            let arms: Vec<String> = cases
                .iter()
                .map(|case| {
                    format!(
                        "SELECT * FROM (SELECT DISTINCT case_id, visited_at FROM visits \
                         WHERE case_id = {case} AND {FOLLOW_UP} AND visited_at >= \
                         (SELECT MIN(at) FROM case_events WHERE case_id = {case} AND action = 'start_payment') \
                         ORDER BY visited_at LIMIT {n}) f{case}"
                    )
                })
                .collect();
            arms.join(" UNION ALL ")
        }
        // A rebuild reads thousands of cases at a time: rank them all at once.
        _ => format!(
            "SELECT case_id, visited_at FROM (\
               SELECT v.case_id, v.visited_at, \
                      DENSE_RANK() OVER (PARTITION BY v.case_id ORDER BY v.visited_at) AS k \
               FROM visits v JOIN (\
                 SELECT case_id, MIN(at) AS paid_at FROM case_events \
                 WHERE {} AND action = 'start_payment' GROUP BY case_id\
               ) p ON p.case_id = v.case_id \
               WHERE {} AND v.{FOLLOW_UP} AND v.visited_at >= p.paid_at\
             ) ranked WHERE k <= {n}",
            ids.on("case_id"),
            ids.on("v.case_id")
        ),
    }
}

/// The applicants of these cases.
pub async fn applicants_of(tx: &mut Tx, case_ids: &[i64]) -> StorageResult<Vec<i64>> {
    let sql = format!(
        "SELECT DISTINCT applicant_id FROM cases WHERE {}",
        Ids::These(case_ids).on("id")
    );
    on_tx!(tx, conn => sqlx::query_scalar(&sql).fetch_all(conn).await)
}

/// Every approval of these applicants' cases, oldest first per applicant,
/// and the applicants' priority groups.
pub async fn approvals(
    tx: &mut Tx,
    applicants: Ids<'_>,
) -> StorageResult<(Vec<Approval>, Vec<PersonGroup>)> {
    let approvals = format!(
        "SELECT c.applicant_id, e.at, c.village_id, v.township_id, c.officer_id \
         FROM case_events e JOIN cases c ON c.id = e.case_id JOIN villages v ON v.id = c.village_id \
         WHERE e.action = 'approve' AND {} ORDER BY c.applicant_id, e.at, e.id",
        applicants.on("c.applicant_id")
    );
    let groups = format!(
        "SELECT person_id, priority_group FROM person_groups WHERE {}",
        applicants.on("person_id")
    );
    on_tx!(tx, conn => {
        Ok((
            sqlx::query_as(&approvals).fetch_all(&mut *conn).await?,
            sqlx::query_as(&groups).fetch_all(&mut *conn).await?,
        ))
    })
}

pub async fn leads(tx: &mut Tx, ids: Ids<'_>) -> StorageResult<Vec<LeadFacts>> {
    let sql = format!(
        "SELECT l.id, l.channel, l.received_on, l.created_by, p.village_id, v.township_id \
         FROM leads l \
         LEFT JOIN lead_people lp ON lp.lead_id = l.id AND lp.position = 0 \
         LEFT JOIN people p ON p.id = lp.person_id \
         LEFT JOIN villages v ON v.id = p.village_id WHERE {}",
        ids.on("l.id")
    );
    on_tx!(tx, conn => sqlx::query_as(&sql).fetch_all(conn).await)
}

/// The largest id of `table` ("cases", "leads" or "people"), for slicing a rebuild.
pub async fn max_id(tx: &mut Tx, table: &str) -> StorageResult<i64> {
    bulk::max_id(tx, table).await
}

/// Adds `cells` to the rollups (negative counts take away). Cells are applied
/// in key order so that two PostgreSQL transactions never wait on each other
/// in a circle.
pub async fn add(tx: &mut Tx, cells: &[Cell]) -> StorageResult<()> {
    let sql = "INSERT INTO stat_days (level, unit, day, figure, since, n, fen) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) \
               ON CONFLICT (level, unit, day, figure, since) \
               DO UPDATE SET n = stat_days.n + excluded.n, fen = stat_days.fen + excluded.fen";
    for cell in cells {
        on_tx!(tx, conn => sqlx::query(sql)
            .bind(&cell.level)
            .bind(cell.unit)
            .bind(&cell.day)
            .bind(&cell.figure)
            .bind(&cell.since)
            .bind(cell.n)
            .bind(cell.fen)
            .execute(conn)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// Empties the rollups and forgets what they were built with.
pub async fn clear(tx: &mut Tx) -> StorageResult<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM stat_days").execute(&mut *conn).await?;
        sqlx::query("DELETE FROM stat_state").execute(&mut *conn).await.map(|_| ())
    })
}

/// After a restore: empties the rollups, if this schema has them yet (a
/// restore may go into an old schema that an upgrade then brings forward).
pub async fn clear_if_present(tx: &mut Tx) -> StorageResult<()> {
    let present: i64 =
        match tx {
            Tx::Sqlite(conn, _) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'stat_state'",
            )
            .fetch_one(&mut **conn)
            .await?,
            Tx::Postgres(conn) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = 'stat_state'",
                )
                .fetch_one(&mut **conn)
                .await?
            }
        };
    if present > 0 {
        clear(tx).await?;
    }
    Ok(())
}

/// Writes freshly built cells into the (empty) rollups.
pub async fn insert(tx: &mut Tx, cells: &[Cell]) -> StorageResult<()> {
    let rows: Vec<Vec<Value>> = cells
        .iter()
        .map(|c| {
            vec![
                Value::Text(c.level.clone()),
                Value::Int(c.unit),
                Value::Text(c.day.clone()),
                Value::Text(c.figure.clone()),
                Value::Text(c.since.clone()),
                Value::Int(c.n),
                Value::Int(c.fen),
            ]
        })
        .collect();
    bulk::insert_rows(
        tx,
        "stat_days",
        &["level", "unit", "day", "figure", "since", "n", "fen"],
        &rows,
    )
    .await
}

/// What the rollups were built with, if they were built.
pub async fn built_with(tx: &mut Tx) -> StorageResult<Option<String>> {
    let sql = "SELECT value FROM stat_state WHERE name = 'built_with'";
    on_tx!(tx, conn => sqlx::query_scalar(sql).fetch_optional(conn).await)
}

pub async fn built_with_db(db: &Db) -> StorageResult<Option<String>> {
    let sql = "SELECT value FROM stat_state WHERE name = 'built_with'";
    on_db!(db, pool => sqlx::query_scalar(sql).fetch_optional(pool).await)
}

pub async fn set_built_with(tx: &mut Tx, value: &str) -> StorageResult<()> {
    let sql = "INSERT INTO stat_state (name, value) VALUES ('built_with', $1) \
               ON CONFLICT (name) DO UPDATE SET value = excluded.value";
    on_tx!(tx, conn => sqlx::query(sql).bind(value).execute(conn).await.map(|_| ()))
}

/// Every cell with something in it, in key order (for tests and checks).
pub async fn all_cells(db: &Db) -> StorageResult<Vec<Cell>> {
    let sql = "SELECT level, unit, day, figure, since, n, fen FROM stat_days \
               WHERE n <> 0 OR fen <> 0 ORDER BY level, unit, day, figure, since";
    on_db!(db, pool => sqlx::query_as(sql).fetch_all(pool).await)
}

/// Each figure of one county, township, village or officer summed over the
/// China days `[from, to]`, split into the days before `today` and the rest.
/// Rows marked with an earlier day (`since`) inside the period are left out:
/// their case or person was counted already.
pub async fn sums(
    db: &Db,
    level: &str,
    unit: i64,
    from: &str,
    to: &str,
    today: &str,
) -> StorageResult<Vec<FigureSum>> {
    let sql = "SELECT figure, CASE WHEN day >= $5 THEN 1 ELSE 0 END AS later, \
               CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(fen) AS BIGINT) AS fen \
               FROM stat_days WHERE level = $1 AND unit = $2 AND day >= $3 AND day <= $4 AND since < $3 \
               GROUP BY figure, CASE WHEN day >= $5 THEN 1 ELSE 0 END";
    on_db!(db, pool => sqlx::query_as::<_, FigureSum>(sql)
        .bind(level)
        .bind(unit)
        .bind(from)
        .bind(to)
        .bind(today)
        .fetch_all(pool)
        .await)
}
