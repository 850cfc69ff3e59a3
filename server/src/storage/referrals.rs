//! Agency services, consents, referrals to partner agencies and their updates.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct ConsentRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub given_by: String,
    pub relationship: String,
    pub signed_on: String,
    pub scope_note: Option<String>,
    pub recorded_by: i64,
    pub recorded_by_name: String,
    pub recorded_at: i64,
}

pub struct NewConsentRow<'a> {
    pub case_id: i64,
    pub person_id: i64,
    pub given_by: &'a str,
    pub relationship: &'a str,
    pub signed_on: &'a str,
    pub scope_note: Option<&'a str>,
    pub recorded_by: i64,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct ReferralRow {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub case_officer_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub village_name: String,
    pub phone: Option<String>,
    pub agency_id: i64,
    pub agency_name: String,
    pub service: String,
    pub note: String,
    pub due_on: String,
    pub state: String,
    pub outcome: Option<String>,
    pub decline_reason: Option<String>,
    pub withdraw_reason: Option<String>,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at: i64,
}

pub struct NewReferralRow<'a> {
    pub case_id: i64,
    pub person_id: i64,
    pub agency_id: i64,
    pub service: &'a str,
    pub note: &'a str,
    pub due_on: &'a str,
    pub created_by: i64,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct UpdateRow {
    pub referral_id: i64,
    pub at: i64,
    pub actor_id: i64,
    pub actor_name: String,
    pub action: String,
    pub to_state: String,
    pub note: Option<String>,
}

pub struct NewUpdate<'a> {
    pub referral_id: i64,
    pub at: i64,
    pub actor_id: i64,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub note: Option<&'a str>,
}

/// Whose referrals a list shows.
#[derive(Debug, Clone, Copy)]
pub enum ReferralScope {
    Case(i64),
    /// Addressed to this agency (a partner's view).
    Agency(i64),
    /// On cases of this officer.
    Officer(i64),
    All,
}

const REFERRAL_SELECT: &str = "SELECT r.id, r.case_id, c.number AS case_number, c.officer_id AS case_officer_id, \
     r.person_id, p.name AS person_name, v.name AS village_name, p.phone, r.agency_id, a.name AS agency_name, \
     r.service, r.note, r.due_on, r.state, r.outcome, r.decline_reason, r.withdraw_reason, r.created_by, \
     u.display_name AS created_by_name, r.created_at \
     FROM referrals r JOIN cases c ON c.id = r.case_id JOIN people p ON p.id = r.person_id \
     JOIN villages v ON v.id = p.village_id JOIN agencies a ON a.id = r.agency_id \
     JOIN users u ON u.id = r.created_by";

/// Every (agency, service) pair, for the agency list.
pub async fn all_agency_services(db: &Db) -> StorageResult<Vec<(i64, String)>> {
    let sql = "SELECT agency_id, service FROM agency_services ORDER BY agency_id, service";
    on_db!(db, pool => sqlx::query_as::<_, (i64, String)>(sql).fetch_all(pool).await)
}

pub async fn agency_services_tx(tx: &mut Tx, agency_id: i64) -> StorageResult<Vec<String>> {
    let sql = "SELECT service FROM agency_services WHERE agency_id = $1 ORDER BY service";
    on_tx!(tx, conn => sqlx::query_scalar::<_, String>(sql).bind(agency_id).fetch_all(conn).await)
}

/// Replaces the services an agency offers.
pub async fn set_agency_services(
    tx: &mut Tx,
    agency_id: i64,
    services: &[&str],
) -> StorageResult<()> {
    let sql = "DELETE FROM agency_services WHERE agency_id = $1";
    on_tx!(tx, conn => sqlx::query(sql).bind(agency_id).execute(conn).await.map(|_| ()))?;
    for service in services {
        let sql = "INSERT INTO agency_services (agency_id, service) VALUES ($1, $2)";
        on_tx!(tx, conn => sqlx::query(sql).bind(agency_id).bind(*service).execute(conn).await.map(|_| ()))?;
    }
    Ok(())
}

/// The agency's name, if it exists.
pub async fn agency_name_tx(tx: &mut Tx, agency_id: i64) -> StorageResult<Option<String>> {
    let sql = "SELECT name FROM agencies WHERE id = $1";
    on_tx!(tx, conn => sqlx::query_scalar::<_, String>(sql).bind(agency_id).fetch_optional(conn).await)
}

pub async fn insert_consent(tx: &mut Tx, consent: &NewConsentRow<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO consents (case_id, person_id, given_by, relationship, signed_on, scope_note, recorded_by, recorded_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(consent.case_id)
        .bind(consent.person_id)
        .bind(consent.given_by)
        .bind(consent.relationship)
        .bind(consent.signed_on)
        .bind(consent.scope_note)
        .bind(consent.recorded_by)
        .bind(consent.now)
        .fetch_one(conn)
        .await)
}

pub async fn list_consents(db: &Db, case_id: i64) -> StorageResult<Vec<ConsentRow>> {
    let sql = "SELECT k.id, k.person_id, p.name AS person_name, k.given_by, k.relationship, k.signed_on, k.scope_note, \
               k.recorded_by, u.display_name AS recorded_by_name, k.recorded_at \
               FROM consents k JOIN people p ON p.id = k.person_id JOIN users u ON u.id = k.recorded_by \
               WHERE k.case_id = $1 ORDER BY k.id";
    on_db!(db, pool => sqlx::query_as::<_, ConsentRow>(sql).bind(case_id).fetch_all(pool).await)
}

pub async fn has_consent(tx: &mut Tx, case_id: i64, person_id: i64) -> StorageResult<bool> {
    let sql = "SELECT COUNT(*) FROM consents WHERE case_id = $1 AND person_id = $2";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(case_id).bind(person_id).fetch_one(conn).await)
        .map(|n| n > 0)
}

pub async fn insert_referral(tx: &mut Tx, referral: &NewReferralRow<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO referrals (case_id, person_id, agency_id, service, note, due_on, state, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, 'sent', $7, $8, $8) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(referral.case_id)
        .bind(referral.person_id)
        .bind(referral.agency_id)
        .bind(referral.service)
        .bind(referral.note)
        .bind(referral.due_on)
        .bind(referral.created_by)
        .bind(referral.now)
        .fetch_one(conn)
        .await)
}

pub async fn find_referral(db: &Db, id: i64) -> StorageResult<Option<ReferralRow>> {
    let sql = format!("{REFERRAL_SELECT} WHERE r.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, ReferralRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_referral_tx(tx: &mut Tx, id: i64) -> StorageResult<Option<ReferralRow>> {
    let sql = format!("{REFERRAL_SELECT} WHERE r.id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, ReferralRow>(&sql).bind(id).fetch_optional(conn).await)
}

/// Narrows a list of referrals.
#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub state: Option<&'static str>,
    /// Only referrals in one of `open_states` due before this date (`YYYY-MM-DD`).
    pub due_before: Option<String>,
    /// The states that count as unfinished, from the domain.
    pub open_states: Vec<&'static str>,
}

/// Referrals in `scope` that pass `filter`, newest first.
pub async fn list_referrals(
    db: &Db,
    scope: ReferralScope,
    filter: &ReferralFilter,
) -> StorageResult<Vec<ReferralRow>> {
    let (condition, bind) = match scope {
        ReferralScope::Case(id) => ("r.case_id = $1", id),
        ReferralScope::Agency(id) => ("r.agency_id = $1", id),
        ReferralScope::Officer(id) => ("c.officer_id = $1", id),
        ReferralScope::All => ("r.id > $1", 0),
    };
    let mut sql = format!("{REFERRAL_SELECT} WHERE {condition}");
    let mut next = 2;
    if filter.state.is_some() {
        sql.push_str(&format!(" AND r.state = ${next}"));
        next += 1;
    }
    if filter.due_before.is_some() {
        // The states are the domain's own constants, never request text.
        let open = filter
            .open_states
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(",");
        sql.push_str(&format!(" AND r.due_on < ${next} AND r.state IN ({open})"));
    }
    sql.push_str(" ORDER BY r.id DESC LIMIT 500");
    on_db!(db, pool => {
        let mut query = sqlx::query_as::<_, ReferralRow>(&sql).bind(bind);
        if let Some(state) = filter.state {
            query = query.bind(state);
        }
        if let Some(date) = &filter.due_before {
            query = query.bind(date.as_str());
        }
        query.fetch_all(pool).await
    })
}

/// The updates of these referrals, oldest first.
pub async fn updates_for(db: &Db, referral_ids: &[i64]) -> StorageResult<Vec<UpdateRow>> {
    if referral_ids.is_empty() {
        return Ok(Vec::new());
    }
    // The ids come from our own query, never from the request.
    let ids = referral_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT ru.referral_id, ru.at, ru.actor_id, u.display_name AS actor_name, ru.action, ru.to_state, ru.note \
         FROM referral_updates ru JOIN users u ON u.id = ru.actor_id WHERE ru.referral_id IN ({ids}) ORDER BY ru.id"
    );
    on_db!(db, pool => sqlx::query_as::<_, UpdateRow>(&sql).fetch_all(pool).await)
}

pub async fn insert_update(tx: &mut Tx, update: &NewUpdate<'_>) -> StorageResult<()> {
    let sql = "INSERT INTO referral_updates (referral_id, at, actor_id, action, from_state, to_state, note) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(update.referral_id)
        .bind(update.at)
        .bind(update.actor_id)
        .bind(update.action)
        .bind(update.from_state)
        .bind(update.to_state)
        .bind(update.note)
        .execute(conn)
        .await
        .map(|_| ()))
}

/// The text that goes with a final state, in its own column.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClosingText<'a> {
    pub outcome: Option<&'a str>,
    pub decline_reason: Option<&'a str>,
    pub withdraw_reason: Option<&'a str>,
}

/// Moves a referral from `from` to `to`. The `state = from` condition lets
/// only one of two racing changes through; the loser gets `false`.
pub async fn update_state(
    tx: &mut Tx,
    id: i64,
    from: &str,
    to: &str,
    text: ClosingText<'_>,
    now: i64,
) -> StorageResult<bool> {
    let sql = "UPDATE referrals SET state = $1, outcome = COALESCE($2, outcome), \
               decline_reason = COALESCE($3, decline_reason), withdraw_reason = COALESCE($7, withdraw_reason), \
               updated_at = $4 WHERE id = $5 AND state = $6";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(to)
        .bind(text.outcome)
        .bind(text.decline_reason)
        .bind(now)
        .bind(id)
        .bind(from)
        .bind(text.withdraw_reason)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
