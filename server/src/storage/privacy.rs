//! Access grants, the read log of protected cases, and archiving the
//! personal details of old closed cases.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

pub struct NewGrant<'a> {
    pub case_id: Option<i64>,
    pub user_id: i64,
    pub kind: &'a str,
    pub reason: &'a str,
    pub granted_at: i64,
    pub expires_at: i64,
    pub client_addr: Option<&'a str>,
}

#[derive(Debug, Clone, FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    pub user_id: i64,
    pub user_name: String,
    pub kind: String,
    pub reason: String,
    pub granted_at: i64,
    pub expires_at: i64,
    pub client_addr: Option<String>,
}

const GRANT_SELECT: &str =
    "SELECT g.id, g.case_id, c.number AS case_number, g.user_id, u.display_name AS user_name, \
     g.kind, g.reason, g.granted_at, g.expires_at, g.client_addr \
     FROM access_grants g JOIN users u ON u.id = g.user_id LEFT JOIN cases c ON c.id = g.case_id";

pub async fn insert_grant(tx: &mut Tx, grant: &NewGrant<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO access_grants (case_id, user_id, kind, reason, granted_at, expires_at, client_addr) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(grant.case_id)
        .bind(grant.user_id)
        .bind(grant.kind)
        .bind(grant.reason)
        .bind(grant.granted_at)
        .bind(grant.expires_at)
        .bind(grant.client_addr)
        .fetch_one(conn)
        .await)
}

/// The user's grant of this kind on this case that is valid at `now`, the
/// longest-lasting first.
pub async fn active_grant(
    db: &Db,
    case_id: i64,
    user_id: i64,
    kind: &str,
    now: i64,
) -> StorageResult<Option<GrantRow>> {
    let sql = format!(
        "{GRANT_SELECT} WHERE g.case_id = $1 AND g.user_id = $2 AND g.kind = $3 AND g.expires_at > $4 \
         ORDER BY g.expires_at DESC LIMIT 1"
    );
    on_db!(db, pool => sqlx::query_as::<_, GrantRow>(&sql)
        .bind(case_id).bind(user_id).bind(kind).bind(now)
        .fetch_optional(pool).await)
}

pub async fn find_grant(db: &Db, id: i64) -> StorageResult<Option<GrantRow>> {
    let sql = format!("{GRANT_SELECT} WHERE g.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, GrantRow>(&sql).bind(id).fetch_optional(pool).await)
}

/// Grants newest first, optionally of one kind.
pub async fn list_grants(db: &Db, kind: Option<&str>, limit: i64) -> StorageResult<Vec<GrantRow>> {
    let sql = format!(
        "{GRANT_SELECT} WHERE ($1 IS NULL OR g.kind = $1) ORDER BY g.granted_at DESC, g.id DESC LIMIT $2"
    );
    on_db!(db, pool => sqlx::query_as::<_, GrantRow>(&sql).bind(kind).bind(limit).fetch_all(pool).await)
}

/// Uses a grant to disclose across cases (`case_id` NULL) once: marks it used
/// if it is `user_id`'s, of `kind`, unused and valid at `now`, and returns its
/// reason (the purpose). `None` when it is not, and then nothing changes.
/// Conditional, so two downloads racing on one grant cannot both use it.
pub async fn use_grant_once(
    tx: &mut Tx,
    id: i64,
    user_id: i64,
    kind: &str,
    now: i64,
) -> StorageResult<Option<String>> {
    let sql = "UPDATE access_grants SET used_at = $1 \
               WHERE id = $2 AND user_id = $3 AND kind = $4 AND case_id IS NULL \
               AND used_at IS NULL AND expires_at > $1 RETURNING reason";
    on_tx!(tx, conn => sqlx::query_scalar::<_, String>(sql)
        .bind(now)
        .bind(id)
        .bind(user_id)
        .bind(kind)
        .fetch_optional(conn)
        .await)
}

pub struct NewRead<'a> {
    pub at: i64,
    pub user_id: i64,
    pub case_id: i64,
    pub what: &'a str,
    pub item: Option<&'a str>,
    pub full_details: bool,
    pub grant_id: Option<i64>,
    pub client_addr: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

pub async fn insert_read(tx: &mut Tx, read: &NewRead<'_>) -> StorageResult<()> {
    let sql = "INSERT INTO read_log (at, user_id, case_id, what, item, full_details, grant_id, client_addr, request_id) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(read.at)
        .bind(read.user_id)
        .bind(read.case_id)
        .bind(read.what)
        .bind(read.item)
        .bind(read.full_details)
        .bind(read.grant_id)
        .bind(read.client_addr)
        .bind(read.request_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct ReadRow {
    pub id: i64,
    pub at: i64,
    pub user_id: i64,
    pub user_name: String,
    pub what: String,
    pub item: Option<String>,
    pub full_details: bool,
    pub grant_id: Option<i64>,
    pub client_addr: Option<String>,
}

/// Reads of one case, newest first.
pub async fn case_reads(db: &Db, case_id: i64, limit: i64) -> StorageResult<Vec<ReadRow>> {
    let sql = "SELECT r.id, r.at, r.user_id, u.display_name AS user_name, r.what, r.item, r.full_details, \
               r.grant_id, r.client_addr FROM read_log r JOIN users u ON u.id = r.user_id \
               WHERE r.case_id = $1 ORDER BY r.id DESC LIMIT $2";
    on_db!(db, pool => sqlx::query_as::<_, ReadRow>(sql).bind(case_id).bind(limit).fetch_all(pool).await)
}

/// Whether a child is in the case: its applicant or agent is in the `minor` group.
pub async fn case_is_protected(db: &Db, case_id: i64) -> StorageResult<bool> {
    let sql = "SELECT COUNT(*) FROM cases c JOIN person_groups g \
               ON g.person_id = c.applicant_id OR g.person_id = c.agent_id \
               WHERE c.id = $1 AND g.priority_group = 'minor'";
    let n =
        on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).bind(case_id).fetch_one(pool).await)?;
    Ok(n > 0)
}

// ---- Archiving -----------------------------------------------------------

/// Closed or withdrawn cases, not yet archived, whose final state began before `before`.
pub async fn cases_to_archive(db: &Db, before: i64) -> StorageResult<Vec<i64>> {
    let sql =
        "SELECT id FROM cases WHERE state IN ('closed', 'withdrawn') AND archived_at IS NULL \
               AND state_since < $1 ORDER BY id";
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).bind(before).fetch_all(pool).await)
}

/// Removes the personal details of one case (README "Privacy" lists what goes
/// and what stays) and marks it archived. Returns false when another run got
/// there first, so running twice changes nothing.
pub async fn archive_case(tx: &mut Tx, case_id: i64, now: i64) -> StorageResult<bool> {
    let claimed = on_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET archived_at = $1 WHERE id = $2 AND archived_at IS NULL \
         AND state IN ('closed', 'withdrawn')")
        .bind(now).bind(case_id).execute(conn).await.map(|r| r.rows_affected()))?;
    if claimed == 0 {
        return Ok(false);
    }
    // The people of the case's lead: the applicant, the agent and anyone else
    // named when the lead was logged.
    let people = "(SELECT person_id FROM lead_people WHERE lead_id = (SELECT lead_id FROM cases WHERE id = $1) \
                  UNION SELECT applicant_id FROM cases WHERE id = $1 \
                  UNION SELECT agent_id FROM cases WHERE id = $1 AND agent_id IS NOT NULL)";
    let visits = "(SELECT id FROM visits WHERE case_id = $1)";
    let statements = [
        // The name keeps only its first character (the surname), so lists stay readable.
        format!("UPDATE people SET name = substr(name, 1, 1) || '*', id_number = NULL, phone = NULL WHERE id IN {people}"),
        format!("DELETE FROM person_name_grams WHERE person_id IN {people}"),
        "UPDATE leads SET reporter = '', summary = '' WHERE id = (SELECT lead_id FROM cases WHERE id = $1)".to_string(),
        "UPDATE cases SET criminal_case_ref = NULL, proposal_reasoning = NULL WHERE id = $1".to_string(),
        "UPDATE case_events SET comment = NULL WHERE case_id = $1 AND comment IS NOT NULL".to_string(),
        format!("DELETE FROM visit_files WHERE visit_id IN {visits}"),
        "UPDATE visits SET place = '', latitude = NULL, longitude = NULL, accuracy_m = NULL, people_met = '', \
         hardship = NULL, needs = NULL, notes = NULL WHERE case_id = $1".to_string(),
        "UPDATE consents SET given_by = '', scope_note = NULL WHERE case_id = $1".to_string(),
        "UPDATE referrals SET note = '', outcome = NULL, decline_reason = NULL, withdraw_reason = NULL WHERE case_id = $1".to_string(),
        "UPDATE referral_updates SET note = NULL WHERE referral_id IN (SELECT id FROM referrals WHERE case_id = $1)".to_string(),
        "UPDATE money_documents SET content = $2, size = 0 WHERE case_id = $1".to_string(),
        "UPDATE money_payments SET reference = '' WHERE case_id = $1".to_string(),
        "UPDATE money_spending SET note = NULL WHERE case_id = $1".to_string(),
        "UPDATE money_spending_notes SET comment = NULL WHERE spending_id IN (SELECT id FROM money_spending WHERE case_id = $1)".to_string(),
        "UPDATE money_phone_checks SET spoke_with = '', note = NULL WHERE payment_id IN (SELECT id FROM money_payments WHERE case_id = $1)".to_string(),
    ];
    for sql in &statements {
        let empty: Vec<u8> = Vec::new();
        if sql.contains("$2") {
            on_tx!(tx, conn => sqlx::query(sql).bind(case_id).bind(&empty).execute(conn).await.map(|r| r.rows_affected()))?;
        } else {
            on_tx!(tx, conn => sqlx::query(sql).bind(case_id).execute(conn).await.map(|r| r.rows_affected()))?;
        }
    }
    Ok(true)
}
