//! The sessions this server has recently checked, so that most requests need
//! not look their session up in the database again (on a page of cases that
//! lookup was one of the request's two round trips to the database).
//!
//! A cached session can only go stale by ending: logging out, or the user
//! disabled or given a new password. Users never change role or scope. Every
//! ending is dropped from the cache at once: by the service that ended it on
//! this server, and through PostgreSQL's LISTEN/NOTIFY on every other
//! instance. While that listener is down the cache is bypassed, and no entry
//! lives longer than [`ENTRY_LIFETIME`], which bounds what a lost announcement
//! could leave behind.
//!
//! A SQLite file is served by one process; instances in that process (tests
//! start two) share one cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::storage::sessions::{self, Ended, SessionUserRow};
use crate::storage::Db;

/// The longest a checked session is trusted without asking the database.
pub const ENTRY_LIFETIME: Duration = Duration::from_secs(10);
/// Beyond this many sessions the cache starts afresh (a county has a few
/// hundred users; this only bounds memory against a flood of logins).
const MAX_ENTRIES: usize = 10_000;
/// How long to wait before listening again after the listener failed.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct SessionCache {
    state: Mutex<CacheState>,
    /// False while endings elsewhere could go unheard (PostgreSQL's listener
    /// not yet or no longer listening): then every request asks the database.
    trusted: AtomicBool,
    listener: Mutex<Option<tokio::task::AbortHandle>>,
}

#[derive(Debug, Default)]
struct CacheState {
    /// Moves on with every ending, so that a lookup that raced an ending
    /// does not put back what the ending removed (see [`SessionCache::put`]).
    generation: u64,
    entries: HashMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    user: SessionUserRow,
    cached_at: Instant,
}

/// What a lookup must hand back to [`SessionCache::put`]: the generation it
/// started in.
#[derive(Debug, Clone, Copy)]
pub struct Generation(u64);

static SQLITE_CACHES: LazyLock<Mutex<HashMap<String, Weak<SessionCache>>>> =
    LazyLock::new(Default::default);

impl SessionCache {
    fn new(trusted: bool) -> SessionCache {
        SessionCache {
            state: Mutex::new(CacheState::default()),
            trusted: AtomicBool::new(trusted),
            listener: Mutex::new(None),
        }
    }

    /// The cache for the database at `database_url`. On PostgreSQL this starts
    /// the listener (so call it inside the Tokio runtime); the cache is
    /// trusted once the listener listens.
    pub fn for_database(db: &Db, database_url: &str) -> Arc<SessionCache> {
        match db {
            Db::Sqlite(_) => {
                let mut caches = SQLITE_CACHES.lock().expect("session caches");
                caches.retain(|_, cache| cache.strong_count() > 0);
                if let Some(cache) = caches.get(database_url).and_then(Weak::upgrade) {
                    return cache;
                }
                let cache = Arc::new(SessionCache::new(true));
                caches.insert(database_url.to_string(), Arc::downgrade(&cache));
                cache
            }
            Db::Postgres(_) => {
                let cache = Arc::new(SessionCache::new(false));
                let task = tokio::spawn(listen(db.clone(), Arc::downgrade(&cache)));
                *cache.listener.lock().expect("listener") = Some(task.abort_handle());
                cache
            }
        }
    }

    /// A live cached session of `token_hash`, if there is one and the cache
    /// may be trusted.
    pub fn get(&self, token_hash: &str, now_ms: i64) -> Option<SessionUserRow> {
        if !self.trusted.load(Ordering::Acquire) {
            return None;
        }
        let state = self.state.lock().expect("session cache");
        state
            .entries
            .get(token_hash)
            .filter(|entry| entry.cached_at.elapsed() < ENTRY_LIFETIME)
            .filter(|entry| entry.user.expires_at > now_ms)
            .map(|entry| entry.user.clone())
    }

    /// Taken before asking the database for a session.
    pub fn generation(&self) -> Generation {
        Generation(self.state.lock().expect("session cache").generation)
    }

    /// Keeps a session the database vouched for, unless something ended
    /// since `seen` (the answer may predate that ending).
    pub fn put(&self, token_hash: &str, user: SessionUserRow, seen: Generation) {
        if !self.trusted.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.state.lock().expect("session cache");
        if state.generation != seen.0 {
            return;
        }
        if state.entries.len() >= MAX_ENTRIES {
            state.entries.clear();
        }
        state.entries.insert(
            token_hash.to_string(),
            Entry {
                user,
                cached_at: Instant::now(),
            },
        );
    }

    /// Drops what has ended.
    pub fn forget(&self, ended: &Ended) {
        let mut state = self.state.lock().expect("session cache");
        state.generation += 1;
        match ended {
            Ended::Session(token_hash) => {
                state.entries.remove(token_hash);
            }
            Ended::User(user_id) => state.entries.retain(|_, e| e.user.user_id != *user_id),
        }
    }

    /// Drops everything, and trusts what is cached from now on only if `trusted`.
    fn reset(&self, trusted: bool) {
        let mut state = self.state.lock().expect("session cache");
        state.generation += 1;
        state.entries.clear();
        self.trusted.store(trusted, Ordering::Release);
    }
}

impl Drop for SessionCache {
    fn drop(&mut self) {
        if let Some(task) = self.listener.lock().ok().and_then(|mut t| t.take()) {
            task.abort();
        }
    }
}

/// Hears the endings announced by every instance (this one included) until
/// the cache is gone or the pool closes.
async fn listen(db: Db, cache: Weak<SessionCache>) {
    loop {
        match sessions::listen_for_ended(&db).await {
            Ok(Some(mut listener)) => {
                let Some(live) = cache.upgrade() else { return };
                // Listening from here on; nothing cached before can be vouched for.
                live.reset(true);
                drop(live);
                loop {
                    let heard = listener.try_recv().await;
                    let Some(live) = cache.upgrade() else { return };
                    match heard {
                        Ok(Some(notification)) => {
                            if let Some(ended) = Ended::parse(notification.payload()) {
                                live.forget(&ended);
                            }
                        }
                        // The connection dropped and was made again: what was
                        // announced in between is lost, so start afresh.
                        Ok(None) => live.reset(true),
                        Err(sqlx::Error::PoolClosed) => return,
                        Err(error) => {
                            tracing::warn!(%error, "session listener failed; sessions uncached");
                            live.reset(false);
                            break;
                        }
                    }
                }
            }
            Ok(None) => return,
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for ended sessions; sessions uncached");
            }
        }
        tokio::time::sleep(RELISTEN_AFTER).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(user_id: i64, expires_at: i64) -> SessionUserRow {
        SessionUserRow {
            user_id,
            username: format!("user{user_id}"),
            display_name: "某某".into(),
            role: "officer".into(),
            village_id: None,
            agency_id: None,
            expires_at,
        }
    }

    #[test]
    fn a_put_session_is_served_until_it_expires() {
        let cache = SessionCache::new(true);
        cache.put("a", user(1, 1_000), cache.generation());
        assert_eq!(cache.get("a", 999).map(|u| u.user_id), Some(1));
        assert!(
            cache.get("a", 1_000).is_none(),
            "expired sessions are not served"
        );
        assert!(cache.get("b", 0).is_none());
    }

    #[test]
    fn an_ended_session_or_user_is_forgotten_and_nothing_else() {
        let cache = SessionCache::new(true);
        for (token, user_id) in [("a", 1), ("b", 1), ("c", 2)] {
            cache.put(token, user(user_id, i64::MAX), cache.generation());
        }
        cache.forget(&Ended::Session("c".into()));
        assert!(cache.get("c", 0).is_none());
        assert!(cache.get("a", 0).is_some());
        cache.forget(&Ended::User(1));
        assert!(cache.get("a", 0).is_none());
        assert!(cache.get("b", 0).is_none());
    }

    #[test]
    fn a_lookup_that_raced_an_ending_is_not_kept() {
        let cache = SessionCache::new(true);
        // The lookup starts, the session ends, then the (stale) answer comes back.
        let seen = cache.generation();
        cache.forget(&Ended::User(1));
        cache.put("a", user(1, i64::MAX), seen);
        assert!(cache.get("a", 0).is_none());
    }

    #[test]
    fn an_untrusted_cache_serves_and_keeps_nothing() {
        let cache = SessionCache::new(true);
        cache.put("a", user(1, i64::MAX), cache.generation());
        cache.reset(false);
        assert!(cache.get("a", 0).is_none());
        cache.put("b", user(2, i64::MAX), cache.generation());
        cache.reset(true);
        assert!(cache.get("b", 0).is_none(), "kept while untrusted");
    }

    #[test]
    fn announcements_read_back_as_sent() {
        for ended in [Ended::Session("ab12".into()), Ended::User(42)] {
            assert_eq!(Ended::parse(&ended.payload()), Some(ended));
        }
        assert_eq!(Ended::parse("user:x"), None);
        assert_eq!(Ended::parse("other"), None);
    }
}
