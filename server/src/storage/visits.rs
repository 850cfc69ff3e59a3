//! Field visits, their photos and signatures (kept in the database so every
//! instance serves them), and what follow-ups need: when payment began.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct VisitRow {
    pub id: String,
    pub case_id: i64,
    pub kind: String,
    pub visited_at: i64,
    pub place: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub people_met: String,
    pub household_members: Option<i64>,
    pub monthly_income_fen: Option<i64>,
    pub dependants: Option<i64>,
    pub hardship: Option<String>,
    pub needs: Option<String>,
    pub notes: Option<String>,
    pub fingerprint: String,
    pub officer_id: i64,
    pub officer_name: String,
    pub recorded_at: i64,
}

pub struct NewVisitRow<'a> {
    pub id: &'a str,
    pub case_id: i64,
    pub kind: &'a str,
    pub visited_at: i64,
    pub place: &'a str,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub people_met: &'a str,
    pub household_members: Option<i64>,
    pub monthly_income_fen: Option<i64>,
    pub dependants: Option<i64>,
    pub hardship: Option<&'a str>,
    pub needs: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub fingerprint: &'a str,
    pub officer_id: i64,
    pub now: i64,
}

impl NewVisitRow<'_> {
    /// The row as the database now holds it, once `insert_visit` has stored it
    /// and committed: what reading it back would return, without the query.
    pub fn as_stored(&self, officer_name: &str) -> VisitRow {
        VisitRow {
            id: self.id.to_string(),
            case_id: self.case_id,
            kind: self.kind.to_string(),
            visited_at: self.visited_at,
            place: self.place.to_string(),
            latitude: self.latitude,
            longitude: self.longitude,
            accuracy_m: self.accuracy_m,
            people_met: self.people_met.to_string(),
            household_members: self.household_members,
            monthly_income_fen: self.monthly_income_fen,
            dependants: self.dependants,
            hardship: self.hardship.map(str::to_string),
            needs: self.needs.map(str::to_string),
            notes: self.notes.map(str::to_string),
            fingerprint: self.fingerprint.to_string(),
            officer_id: self.officer_id,
            officer_name: officer_name.to_string(),
            recorded_at: self.now,
        }
    }
}

/// A stored file without its bytes.
#[derive(Debug, Clone, FromRow)]
pub struct VisitFileRow {
    pub id: String,
    pub visit_id: String,
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: i64,
}

pub struct NewVisitFile<'a> {
    pub id: &'a str,
    pub visit_id: &'a str,
    pub kind: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub uploaded_by: i64,
    pub now: i64,
}

/// A case with payment under way or done, for the follow-up list.
#[derive(Debug, Clone, FromRow)]
pub struct PaidCaseRow {
    pub case_id: i64,
    pub case_number: String,
    pub applicant_name: String,
    pub village_name: String,
    pub officer_id: i64,
    pub officer_name: String,
    pub paid_at: i64,
}

const VISIT_SELECT: &str = "SELECT v.id, v.case_id, v.kind, v.visited_at, v.place, v.latitude, v.longitude, v.accuracy_m, \
     v.people_met, v.household_members, v.monthly_income_fen, v.dependants, v.hardship, v.needs, v.notes, \
     v.fingerprint, v.officer_id, u.display_name AS officer_name, v.recorded_at \
     FROM visits v JOIN users u ON u.id = v.officer_id";

const FILE_SELECT: &str =
    "SELECT id, visit_id, kind, content_type, size_bytes, sha256, uploaded_at FROM visit_files";

pub async fn find_visit(db: &Db, id: &str) -> StorageResult<Option<VisitRow>> {
    let sql = format!("{VISIT_SELECT} WHERE v.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, VisitRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_visit_tx(tx: &mut Tx, id: &str) -> StorageResult<Option<VisitRow>> {
    let sql = format!("{VISIT_SELECT} WHERE v.id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, VisitRow>(&sql).bind(id).fetch_optional(conn).await)
}

/// Inserts a visit. A unique violation means the id was taken meanwhile.
pub async fn insert_visit(tx: &mut Tx, v: &NewVisitRow<'_>) -> StorageResult<()> {
    let sql = "INSERT INTO visits (id, case_id, kind, visited_at, place, latitude, longitude, accuracy_m, people_met, \
               household_members, monthly_income_fen, dependants, hardship, needs, notes, fingerprint, officer_id, recorded_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(v.id)
        .bind(v.case_id)
        .bind(v.kind)
        .bind(v.visited_at)
        .bind(v.place)
        .bind(v.latitude)
        .bind(v.longitude)
        .bind(v.accuracy_m)
        .bind(v.people_met)
        .bind(v.household_members)
        .bind(v.monthly_income_fen)
        .bind(v.dependants)
        .bind(v.hardship)
        .bind(v.needs)
        .bind(v.notes)
        .bind(v.fingerprint)
        .bind(v.officer_id)
        .bind(v.now)
        .execute(conn)
        .await
        .map(|_| ()))
}

/// The visits of a case, newest first.
pub async fn list_visits(db: &Db, case_id: i64) -> StorageResult<Vec<VisitRow>> {
    let sql = format!("{VISIT_SELECT} WHERE v.case_id = $1 ORDER BY v.visited_at DESC, v.id");
    on_db!(db, pool => sqlx::query_as::<_, VisitRow>(&sql).bind(case_id).fetch_all(pool).await)
}

/// (case id, visit id, visited_at) of follow-up visits on these cases.
pub async fn follow_up_visits(db: &Db, case_ids: &[i64]) -> StorageResult<Vec<(i64, String, i64)>> {
    if case_ids.is_empty() {
        return Ok(Vec::new());
    }
    // The ids come from our own query, never from the request.
    let ids = case_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT case_id, id, visited_at FROM visits \
         WHERE case_id IN ({ids}) AND kind IN ('phone_follow_up', 'on_site_follow_up')"
    );
    on_db!(db, pool => sqlx::query_as::<_, (i64, String, i64)>(&sql).fetch_all(pool).await)
}

/// Files of these visits, oldest first.
pub async fn files_for(db: &Db, visit_ids: &[String]) -> StorageResult<Vec<VisitFileRow>> {
    if visit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (1..=visit_ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!("{FILE_SELECT} WHERE visit_id IN ({placeholders}) ORDER BY uploaded_at, id");
    on_db!(db, pool => {
        let mut query = sqlx::query_as::<_, VisitFileRow>(&sql);
        for id in visit_ids {
            query = query.bind(id);
        }
        query.fetch_all(pool).await
    })
}

pub async fn find_file_tx(tx: &mut Tx, id: &str) -> StorageResult<Option<VisitFileRow>> {
    let sql = format!("{FILE_SELECT} WHERE id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, VisitFileRow>(&sql).bind(id).fetch_optional(conn).await)
}

pub async fn count_files_tx(tx: &mut Tx, visit_id: &str) -> StorageResult<i64> {
    let sql = "SELECT COUNT(*) FROM visit_files WHERE visit_id = $1";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(visit_id).fetch_one(conn).await)
}

pub async fn insert_file(tx: &mut Tx, f: &NewVisitFile<'_>) -> StorageResult<()> {
    let sql = "INSERT INTO visit_files (id, visit_id, kind, content_type, size_bytes, sha256, content, uploaded_by, uploaded_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(f.id)
        .bind(f.visit_id)
        .bind(f.kind)
        .bind(f.content_type)
        .bind(f.content.len() as i64)
        .bind(f.sha256)
        .bind(f.content)
        .bind(f.uploaded_by)
        .bind(f.now)
        .execute(conn)
        .await
        .map(|_| ()))
}

/// A file's content type and bytes, if it belongs to that visit.
pub async fn file_content(
    db: &Db,
    visit_id: &str,
    file_id: &str,
) -> StorageResult<Option<(String, Vec<u8>)>> {
    let sql = "SELECT content_type, content FROM visit_files WHERE id = $1 AND visit_id = $2";
    on_db!(db, pool => sqlx::query_as::<_, (String, Vec<u8>)>(sql).bind(file_id).bind(visit_id).fetch_optional(pool).await)
}

/// When payment of a case began (its first `start_payment` event), if it did.
pub async fn paid_at(db: &Db, case_id: i64) -> StorageResult<Option<i64>> {
    let sql = "SELECT MIN(at) FROM case_events WHERE case_id = $1 AND action = 'start_payment'";
    on_db!(db, pool => sqlx::query_scalar::<_, Option<i64>>(sql).bind(case_id).fetch_one(pool).await)
}

/// Cases being paid or followed up, with when payment began; one officer's or all.
pub async fn paid_cases(db: &Db, officer_id: Option<i64>) -> StorageResult<Vec<PaidCaseRow>> {
    let sql = "SELECT c.id AS case_id, c.number AS case_number, p.name AS applicant_name, vg.name AS village_name, \
               c.officer_id, u.display_name AS officer_name, MIN(e.at) AS paid_at \
               FROM cases c JOIN case_events e ON e.case_id = c.id AND e.action = 'start_payment' \
               JOIN people p ON p.id = c.applicant_id JOIN villages vg ON vg.id = c.village_id \
               JOIN users u ON u.id = c.officer_id \
               WHERE c.state IN ('paying', 'following_up') AND (CAST($1 AS BIGINT) IS NULL OR c.officer_id = $1) \
               GROUP BY c.id, c.number, p.name, vg.name, c.officer_id, u.display_name \
               ORDER BY MIN(e.at) LIMIT 1000";
    on_db!(db, pool => sqlx::query_as::<_, PaidCaseRow>(sql).bind(officer_id).fetch_all(pool).await)
}
