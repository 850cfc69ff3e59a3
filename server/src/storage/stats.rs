//! What supervisors' statistics read besides the rollups (`storage::rollup`):
//! the scopes, and the paid cases whose follow-ups fall due today, which are
//! counted against the clock.

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
pub struct FollowUpRow {
    pub case_id: i64,
    pub paid_at: i64,
    pub visited_at: Option<i64>,
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
    on_db!(db, pool => {
        let query = sqlx::query_as::<_, FollowUpRow>(&sql).bind(start).bind(end);
        match scope.id() {
            Some(id) => query.bind(id).fetch_all(pool).await,
            None => query.fetch_all(pool).await,
        }
    })
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
