//! A case's facts (columns of `cases`, the phone on the applicant's
//! `people` row), the edits phones sent under their own ids, the conflicts
//! those edits met, and the same-person lookup for new leads.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

/// The facts with what deciding about them needs: who owns the case, its state.
#[derive(Debug, Clone, FromRow)]
pub struct FactsRow {
    pub case_id: i64,
    pub state: String,
    pub officer_id: i64,
    pub applicant_id: i64,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub household_members: Option<i64>,
    pub monthly_income_fen: Option<i64>,
    pub dependants: Option<i64>,
    pub hardship: Option<String>,
    pub needs: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct EditRow {
    pub id: String,
    pub case_id: i64,
    pub fingerprint: String,
    pub actor_id: i64,
    pub outcome: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct ConflictRow {
    pub id: i64,
    pub case_id: i64,
    pub edit_id: String,
    pub field: String,
    pub base_value: String,
    pub mine_value: String,
    pub theirs_value: String,
    pub raised_by: i64,
    pub raised_by_name: String,
    pub raised_at: i64,
    pub choice: Option<String>,
    pub resolved_by: Option<i64>,
    pub resolved_by_name: Option<String>,
    pub resolved_at: Option<i64>,
}

pub struct NewConflict<'a> {
    pub case_id: i64,
    pub edit_id: &'a str,
    pub field: &'a str,
    pub base_value: &'a str,
    pub mine_value: &'a str,
    pub theirs_value: &'a str,
    pub raised_by: i64,
    pub now: i64,
}

/// The facts to write; the phone goes to the applicant's person row.
pub struct FactsUpdate<'a> {
    pub case_id: i64,
    pub applicant_id: i64,
    pub phone: Option<&'a str>,
    pub address: Option<&'a str>,
    pub household_members: Option<i64>,
    pub monthly_income_fen: Option<i64>,
    pub dependants: Option<i64>,
    pub hardship: Option<&'a str>,
    pub needs: Option<&'a str>,
    pub now: i64,
}

/// An existing lead or case about someone with this ID number, or this name in this village.
#[derive(Debug, Clone, FromRow)]
pub struct MatchRow {
    pub kind: String,
    pub id: i64,
    pub label: String,
    pub person_name: String,
    pub village_name: String,
    pub status: String,
    pub by_id_number: bool,
}

const FACTS_SELECT: &str =
    "SELECT c.id AS case_id, c.state, c.officer_id, c.applicant_id, p.phone, c.address, \
     c.household_members, c.monthly_income_fen, c.dependants, c.hardship, c.needs \
     FROM cases c JOIN people p ON p.id = c.applicant_id WHERE c.id = $1";

const CONFLICT_SELECT: &str = "SELECT k.id, k.case_id, k.edit_id, k.field, k.base_value, k.mine_value, k.theirs_value, \
     k.raised_by, r.display_name AS raised_by_name, k.raised_at, k.choice, k.resolved_by, \
     s.display_name AS resolved_by_name, k.resolved_at \
     FROM case_fact_conflicts k JOIN users r ON r.id = k.raised_by LEFT JOIN users s ON s.id = k.resolved_by";

pub async fn find_facts(db: &Db, case_id: i64) -> StorageResult<Option<FactsRow>> {
    on_db!(db, pool => sqlx::query_as::<_, FactsRow>(FACTS_SELECT).bind(case_id).fetch_optional(pool).await)
}

pub async fn find_facts_tx(tx: &mut Tx, case_id: i64) -> StorageResult<Option<FactsRow>> {
    on_tx!(tx, conn => sqlx::query_as::<_, FactsRow>(FACTS_SELECT).bind(case_id).fetch_optional(conn).await)
}

pub async fn update_facts(tx: &mut Tx, f: &FactsUpdate<'_>) -> StorageResult<()> {
    let sql = "UPDATE cases SET address = $2, household_members = $3, monthly_income_fen = $4, dependants = $5, \
               hardship = $6, needs = $7, updated_at = $8 WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(f.case_id)
        .bind(f.address)
        .bind(f.household_members)
        .bind(f.monthly_income_fen)
        .bind(f.dependants)
        .bind(f.hardship)
        .bind(f.needs)
        .bind(f.now)
        .execute(conn)
        .await
        .map(|_| ()))?;
    on_tx!(tx, conn => sqlx::query("UPDATE people SET phone = $2 WHERE id = $1")
        .bind(f.applicant_id)
        .bind(f.phone)
        .execute(conn)
        .await
        .map(|_| ()))
}

const EDIT_SELECT: &str =
    "SELECT id, case_id, fingerprint, actor_id, outcome FROM case_fact_edits WHERE id = $1";

pub async fn find_edit(db: &Db, id: &str) -> StorageResult<Option<EditRow>> {
    on_db!(db, pool => sqlx::query_as::<_, EditRow>(EDIT_SELECT).bind(id).fetch_optional(pool).await)
}

pub async fn find_edit_tx(tx: &mut Tx, id: &str) -> StorageResult<Option<EditRow>> {
    on_tx!(tx, conn => sqlx::query_as::<_, EditRow>(EDIT_SELECT).bind(id).fetch_optional(conn).await)
}

/// Inserts an edit. A unique violation means the id was taken meanwhile.
pub async fn insert_edit(
    tx: &mut Tx,
    id: &str,
    case_id: i64,
    fingerprint: &str,
    actor_id: i64,
    now: i64,
) -> StorageResult<()> {
    let sql =
        "INSERT INTO case_fact_edits (id, case_id, fingerprint, actor_id, outcome, recorded_at) \
               VALUES ($1, $2, $3, $4, '{}', $5)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(case_id)
        .bind(fingerprint)
        .bind(actor_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ()))
}

/// Keeps the answer given to an edit, to give it again on a replay.
pub async fn set_edit_outcome(tx: &mut Tx, id: &str, outcome: &str) -> StorageResult<()> {
    let sql = "UPDATE case_fact_edits SET outcome = $2 WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(sql).bind(id).bind(outcome).execute(conn).await.map(|_| ()))
}

pub async fn insert_conflict(tx: &mut Tx, c: &NewConflict<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO case_fact_conflicts (case_id, edit_id, field, base_value, mine_value, theirs_value, raised_by, raised_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(c.case_id)
        .bind(c.edit_id)
        .bind(c.field)
        .bind(c.base_value)
        .bind(c.mine_value)
        .bind(c.theirs_value)
        .bind(c.raised_by)
        .bind(c.now)
        .fetch_one(conn)
        .await)
}

/// The conflicts of a case not settled yet, oldest first.
pub async fn open_conflicts(db: &Db, case_id: i64) -> StorageResult<Vec<ConflictRow>> {
    let sql = format!("{CONFLICT_SELECT} WHERE k.case_id = $1 AND k.choice IS NULL ORDER BY k.id");
    on_db!(db, pool => sqlx::query_as::<_, ConflictRow>(&sql).bind(case_id).fetch_all(pool).await)
}

pub async fn find_conflict_tx(tx: &mut Tx, id: i64) -> StorageResult<Option<ConflictRow>> {
    let sql = format!("{CONFLICT_SELECT} WHERE k.id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, ConflictRow>(&sql).bind(id).fetch_optional(conn).await)
}

pub async fn find_conflict(db: &Db, id: i64) -> StorageResult<Option<ConflictRow>> {
    let sql = format!("{CONFLICT_SELECT} WHERE k.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, ConflictRow>(&sql).bind(id).fetch_optional(pool).await)
}

/// Settles a conflict once; false when it was already settled.
pub async fn resolve_conflict(
    tx: &mut Tx,
    id: i64,
    choice: &str,
    by: i64,
    now: i64,
) -> StorageResult<bool> {
    let sql = "UPDATE case_fact_conflicts SET choice = $2, resolved_by = $3, resolved_at = $4 \
               WHERE id = $1 AND choice IS NULL";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(choice)
        .bind(by)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Leads and cases (any status) about a person with this ID number, or this
/// name in this village; at most 20, newest first.
pub async fn person_matches(
    db: &Db,
    id_number: Option<&str>,
    name: Option<&str>,
    village_id: Option<i64>,
) -> StorageResult<Vec<MatchRow>> {
    let sql = "SELECT kind, id, label, person_name, village_name, status, by_id_number FROM ( \
               SELECT 'lead' AS kind, l.id AS id, l.received_on AS label, p.name AS person_name, v.name AS village_name, \
               l.status AS status, COALESCE(p.id_number = $1, FALSE) AS by_id_number, l.created_at AS at \
               FROM people p JOIN lead_people lp ON lp.person_id = p.id JOIN leads l ON l.id = lp.lead_id \
               JOIN villages v ON v.id = p.village_id \
               WHERE l.case_id IS NULL AND (p.id_number = $1 OR (p.name = $2 AND p.village_id = $3)) \
               UNION ALL \
               SELECT 'case' AS kind, c.id AS id, c.number AS label, p.name AS person_name, v.name AS village_name, \
               c.state AS status, COALESCE(p.id_number = $1, FALSE) AS by_id_number, c.accepted_at AS at \
               FROM people p JOIN cases c ON c.applicant_id = p.id OR c.agent_id = p.id \
               JOIN villages v ON v.id = p.village_id \
               WHERE p.id_number = $1 OR (p.name = $2 AND p.village_id = $3) \
               ) m ORDER BY at DESC, kind, id LIMIT 20";
    on_db!(db, pool => sqlx::query_as::<_, MatchRow>(sql)
        .bind(id_number)
        .bind(name)
        .bind(village_id)
        .fetch_all(pool)
        .await)
}
