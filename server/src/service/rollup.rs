//! Keeps the statistics rollups (`stat_days`) in step with the cases.
//!
//! What each fact counts for is worked out here, in one place, from the rows
//! of the cases, leads and people concerned ([`Tally`]). Both ways of keeping
//! the rollups use it:
//! - a write reads the tally of what it touches before and after the change
//!   ([`before_write`], [`Pending::after_write`]) and adds the difference, in
//!   its own transaction;
//! - [`rebuild`] tallies everything, slice by slice, when the rollups are new,
//!   were restored from a backup, or were built with other follow-up days.
//!
//! Figures (`figure` column; n counts, fen sums money):
//! `lead:<channel>` on the day received; `handled`, `green` and
//! `green_ms:<ms to first payment>` on the day accepted; `granted` (with the
//! fen approved) and `refused` on the decision's day; `paid` on the day paid;
//! `people` and `people:<group>` on the day of an applicant's approval;
//! `fu_due` and `fu_on_time` on the day a follow-up falls due;
//! `referral:<agency>:<state>` on the day referred.

use std::collections::{BTreeMap, HashMap};

use domain::date::{china_date, format_date};
use domain::stats::follow_up_outcomes;

use crate::storage::rollup::{self as store, Approval, CaseSources, Cell, Ids, LeadFacts};
use crate::storage::{Db, StorageResult, Tx};

/// Cases per slice while rebuilding: bounds the rows held at once.
const SLICE: i64 = 20_000;

/// County, township, village, officer.
const LEVELS: [&str; 4] = ["c", "t", "v", "o"];

/// Where a case's figures count: its township, village and officer.
#[derive(Debug, Clone, Copy)]
struct Place {
    township: Option<i64>,
    village: Option<i64>,
    officer: i64,
}

impl Place {
    /// (level, unit) of each scope the place belongs to.
    fn units(self) -> impl Iterator<Item = (&'static str, i64)> {
        let units = [Some(0), self.township, self.village, Some(self.officer)];
        LEVELS
            .into_iter()
            .zip(units)
            .filter_map(|(level, unit)| unit.map(|u| (level, u)))
    }
}

fn day_of(ms: i64) -> String {
    format_date(china_date(ms))
}

type Key = (&'static str, i64, String, String, String);

/// Rollup cells being counted up: (level, unit, day, figure, since) → (n, fen).
#[derive(Debug, Default, PartialEq)]
pub struct Tally(BTreeMap<Key, (i64, i64)>);

impl Tally {
    fn add(&mut self, key: Key, n: i64, fen: i64) {
        let cell = self.0.entry(key).or_default();
        cell.0 += n;
        cell.1 += fen;
    }

    /// Counts in every scope of `place`.
    fn add_at(&mut self, place: Place, day: &str, figure: &str, since: &str, n: i64, fen: i64) {
        for (level, unit) in place.units() {
            let key = (
                level,
                unit,
                day.to_string(),
                figure.to_string(),
                since.to_string(),
            );
            self.add(key, n, fen);
        }
    }

    /// The cells of `self` less those of `before`, skipping those that did not change.
    fn minus(self, before: Tally) -> Vec<Cell> {
        let mut diff = self.0;
        for (key, (n, fen)) in before.0 {
            let cell = diff.entry(key).or_default();
            cell.0 -= n;
            cell.1 -= fen;
        }
        into_cells(diff)
    }

    fn into_cells(self) -> Vec<Cell> {
        into_cells(self.0)
    }

    /// Counts the figures of some cases.
    fn cases(&mut self, sources: CaseSources, follow_up_days: &[i64]) {
        let mut decisions: HashMap<i64, Vec<_>> = HashMap::new();
        for d in sources.decisions {
            decisions.entry(d.case_id).or_default().push(d);
        }
        let mut payments: HashMap<i64, Vec<_>> = HashMap::new();
        for p in sources.payments {
            payments.entry(p.case_id).or_default().push(p);
        }
        let mut referrals: HashMap<i64, Vec<_>> = HashMap::new();
        for r in sources.referrals {
            referrals.entry(r.case_id).or_default().push(r);
        }
        let mut visits: HashMap<i64, Vec<i64>> = HashMap::new();
        for v in sources.follow_ups {
            visits.entry(v.case_id).or_default().push(v.visited_at);
        }
        for case in sources.cases {
            let place = Place {
                township: Some(case.township_id),
                village: Some(case.village_id),
                officer: case.officer_id,
            };
            let accepted = day_of(case.accepted_at);
            self.add_at(place, &accepted, "handled", "", 1, 0);
            if case.green_channel {
                self.add_at(place, &accepted, "green", "", 1, 0);
            }
            let mut decided = decisions.remove(&case.id).unwrap_or_default();
            decided.sort_by_key(|d| d.at);
            let mut last_refusal = String::new();
            let mut paid_at: Option<i64> = None;
            for d in decided {
                let day = day_of(d.at);
                match d.action.as_str() {
                    "approve" => {
                        self.add_at(place, &day, "granted", "", 1, d.amount_fen.unwrap_or(0))
                    }
                    "refuse" => {
                        self.add_at(place, &day, "refused", &last_refusal, 1, 0);
                        last_refusal = day;
                    }
                    "start_payment" => paid_at = Some(paid_at.map_or(d.at, |p| p.min(d.at))),
                    _ => {}
                }
            }
            let paid = payments.remove(&case.id).unwrap_or_default();
            for p in &paid {
                self.add_at(place, &p.paid_on, "paid", "", 1, p.amount_fen);
            }
            if case.green_channel {
                if let Some(first) = paid.iter().map(|p| p.recorded_at).min() {
                    let figure = format!("green_ms:{}", first - case.accepted_at);
                    self.add_at(place, &accepted, &figure, "", 1, 0);
                }
            }
            if let Some(paid_at) = paid_at {
                let mut done = visits.remove(&case.id).unwrap_or_default();
                done.sort_unstable();
                done.dedup();
                for (due_at, on_time) in follow_up_outcomes(paid_at, follow_up_days, &done) {
                    let day = day_of(due_at);
                    self.add_at(place, &day, "fu_due", "", 1, 0);
                    if on_time {
                        self.add_at(place, &day, "fu_on_time", "", 1, 0);
                    }
                }
            }
            for r in referrals.remove(&case.id).unwrap_or_default() {
                let figure = format!("referral:{}:{}", r.agency_id, r.state);
                self.add_at(place, &day_of(r.created_at), &figure, "", 1, 0);
            }
        }
    }

    /// Counts the people aided: each applicant once per period in each scope,
    /// in every priority group they belong to. `approvals` come oldest first
    /// per applicant.
    fn people(&mut self, approvals: Vec<Approval>, groups: Vec<store::PersonGroup>) {
        let mut groups_of: HashMap<i64, Vec<String>> = HashMap::new();
        for g in groups {
            groups_of
                .entry(g.person_id)
                .or_default()
                .push(format!("people:{}", g.priority_group));
        }
        let mut last_seen: HashMap<(i64, &'static str, i64), String> = HashMap::new();
        for a in approvals {
            let place = Place {
                township: Some(a.township_id),
                village: Some(a.village_id),
                officer: a.officer_id,
            };
            let day = day_of(a.at);
            let groups = groups_of.get(&a.applicant_id);
            for (level, unit) in place.units() {
                let since = last_seen
                    .insert((a.applicant_id, level, unit), day.clone())
                    .unwrap_or_default();
                let figures = std::iter::once("people")
                    .chain(groups.into_iter().flatten().map(String::as_str));
                for figure in figures {
                    let key = (level, unit, day.clone(), figure.to_string(), since.clone());
                    self.add(key, 1, 0);
                }
            }
        }
    }

    /// Counts leads by channel, where their applicant lives and for the
    /// officer who logged them.
    fn leads(&mut self, leads: Vec<LeadFacts>) {
        for lead in leads {
            let place = Place {
                township: lead.township_id,
                village: lead.village_id,
                officer: lead.created_by,
            };
            let figure = format!("lead:{}", lead.channel);
            self.add_at(place, &lead.received_on, &figure, "", 1, 0);
        }
    }
}

fn into_cells(map: BTreeMap<Key, (i64, i64)>) -> Vec<Cell> {
    map.into_iter()
        .filter(|(_, (n, fen))| *n != 0 || *fen != 0)
        .map(|((level, unit, day, figure, since), (n, fen))| Cell {
            level: level.to_string(),
            unit,
            day,
            figure,
            since,
            n,
            fen,
        })
        .collect()
}

/// What the rollups record they were built with: a format version and the
/// follow-up days (which decide when follow-ups fall due).
fn signature(follow_up_days: &[i64]) -> String {
    let days: Vec<String> = follow_up_days.iter().map(i64::to_string).collect();
    format!("1|{}", days.join(","))
}

fn days_of(signature: &str) -> Option<Vec<i64>> {
    let days = signature.strip_prefix("1|")?;
    if days.is_empty() {
        return Some(Vec::new());
    }
    days.split(',').map(|d| d.parse().ok()).collect()
}

/// The figures some cases and leads contribute now, with their applicants'.
async fn tally(
    tx: &mut Tx,
    cases: &[i64],
    leads: &[i64],
    people: &[i64],
    follow_up_days: &[i64],
) -> StorageResult<Tally> {
    let mut tally = Tally::default();
    if !cases.is_empty() {
        tally.cases(
            store::case_sources(tx, Ids::These(cases), follow_up_days.len()).await?,
            follow_up_days,
        );
    }
    if !people.is_empty() {
        let (approvals, groups) = store::approvals(tx, Ids::These(people)).await?;
        tally.people(approvals, groups);
    }
    if !leads.is_empty() {
        tally.leads(store::leads(tx, Ids::These(leads)).await?);
    }
    Ok(tally)
}

/// A write in progress: the figures of what it touches, as they were before.
#[must_use = "call after_write once the write is done"]
pub struct Pending {
    /// `None` while the rollups are not built: the next rebuild counts the write.
    follow_up_days: Option<Vec<i64>>,
    cases: Vec<i64>,
    leads: Vec<i64>,
    people: Vec<i64>,
    before: Tally,
}

/// Reads the figures of `cases` and `leads` before a write changes them.
/// Call it in the write's transaction, before the write.
pub async fn before_write(tx: &mut Tx, cases: &[i64], leads: &[i64]) -> StorageResult<Pending> {
    let follow_up_days = store::built_with(tx).await?.as_deref().and_then(days_of);
    let mut pending = Pending {
        follow_up_days,
        cases: cases.to_vec(),
        leads: leads.to_vec(),
        people: Vec::new(),
        before: Tally::default(),
    };
    if let Some(days) = &pending.follow_up_days {
        // An approval changes its applicant's figures, which span their cases.
        pending.people = store::applicants_of(tx, cases).await?;
        pending.before = tally(tx, cases, leads, &pending.people, days).await?;
    }
    Ok(pending)
}

/// Counts cases and leads a write has just created.
pub async fn count_new(tx: &mut Tx, cases: &[i64], leads: &[i64]) -> StorageResult<()> {
    let mut pending = before_write(tx, &[], &[]).await?;
    pending.cases.extend_from_slice(cases);
    pending.leads.extend_from_slice(leads);
    pending.after_write(tx).await
}

impl Pending {
    /// A case this write creates (it had no figures before).
    pub fn created_case(&mut self, id: i64) {
        self.cases.push(id);
    }

    /// A lead this write creates.
    pub fn created_lead(&mut self, id: i64) {
        self.leads.push(id);
    }

    /// Adds to the rollups what the write changed. Call it in the write's
    /// transaction, after the write.
    pub async fn after_write(self, tx: &mut Tx) -> StorageResult<()> {
        let Some(days) = &self.follow_up_days else {
            return Ok(());
        };
        let after = tally(tx, &self.cases, &self.leads, &self.people, days).await?;
        store::add(tx, &after.minus(self.before)).await
    }
}

/// Rebuilds the rollups unless they were built with these follow-up days.
/// Returns whether it rebuilt.
pub async fn ensure_current(db: &Db, follow_up_days: &[i64]) -> StorageResult<bool> {
    if store::built_with_db(db).await?.as_deref() == Some(&signature(follow_up_days)) {
        return Ok(false);
    }
    rebuild(db, follow_up_days).await?;
    Ok(true)
}

/// Counts every figure afresh from the cases, leads and people, in one
/// transaction. Returns the number of rollup cells written.
#[tracing::instrument(skip_all)]
pub async fn rebuild(db: &Db, follow_up_days: &[i64]) -> StorageResult<usize> {
    let mut tx = db.begin().await?;
    store::clear(&mut tx).await?;
    let mut tally = Tally::default();
    let last_case = store::max_id(&mut tx, "cases").await?;
    for first in (1..=last_case).step_by(SLICE as usize) {
        let slice = Ids::Between(first, first + SLICE - 1);
        let sources = store::case_sources(&mut tx, slice, follow_up_days.len()).await?;
        tally.cases(sources, follow_up_days);
    }
    let last_person = store::max_id(&mut tx, "people").await?;
    for first in (1..=last_person).step_by(SLICE as usize * 5) {
        let slice = Ids::Between(first, first + SLICE * 5 - 1);
        let (approvals, groups) = store::approvals(&mut tx, slice).await?;
        tally.people(approvals, groups);
    }
    let last_lead = store::max_id(&mut tx, "leads").await?;
    for first in (1..=last_lead).step_by(SLICE as usize) {
        let leads = store::leads(&mut tx, Ids::Between(first, first + SLICE - 1)).await?;
        tally.leads(leads);
    }
    let cells = tally.into_cells();
    store::insert(&mut tx, &cells).await?;
    store::set_built_with(&mut tx, &signature(follow_up_days)).await?;
    tx.commit().await?;
    tracing::info!(cells = cells.len(), "statistics rollups rebuilt");
    Ok(cells.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::rollup::{CaseFacts, Decision, FollowUp, Payment, PersonGroup};

    const DAY: i64 = 86_400_000;
    /// 2025-03-01 00:00 in China.
    const MARCH_1: i64 = 1_740_758_400_000;

    fn case(id: i64, accepted_at: i64, green: bool, village: i64, officer: i64) -> CaseFacts {
        CaseFacts {
            id,
            accepted_at,
            green_channel: green,
            village_id: village,
            township_id: 100 + village / 10,
            officer_id: officer,
            applicant_id: 1000 + id,
        }
    }

    fn get(
        tally: &Tally,
        level: &'static str,
        unit: i64,
        day: &str,
        figure: &str,
        since: &str,
    ) -> (i64, i64) {
        tally
            .0
            .get(&(level, unit, day.into(), figure.into(), since.into()))
            .copied()
            .unwrap_or_default()
    }

    #[test]
    fn a_case_counts_in_every_scope_on_china_days() {
        let mut tally = Tally::default();
        // Accepted 23:30 on 28 February in China (15:30 UTC).
        let accepted = MARCH_1 - DAY / 48;
        let sources = CaseSources {
            cases: vec![case(1, accepted, true, 11, 7)],
            decisions: vec![
                Decision {
                    case_id: 1,
                    action: "refuse".into(),
                    at: MARCH_1 + DAY,
                    amount_fen: None,
                },
                Decision {
                    case_id: 1,
                    action: "refuse".into(),
                    at: MARCH_1 + 3 * DAY,
                    amount_fen: None,
                },
                Decision {
                    case_id: 1,
                    action: "approve".into(),
                    at: MARCH_1 + 4 * DAY,
                    amount_fen: Some(500_000),
                },
                Decision {
                    case_id: 1,
                    action: "start_payment".into(),
                    at: MARCH_1 + 5 * DAY,
                    amount_fen: None,
                },
            ],
            payments: vec![Payment {
                case_id: 1,
                paid_on: "2025-03-06".into(),
                amount_fen: 500_000,
                recorded_at: MARCH_1 + 5 * DAY + 3_600_000,
            }],
            referrals: vec![],
            follow_ups: vec![FollowUp {
                case_id: 1,
                visited_at: MARCH_1 + 20 * DAY,
            }],
        };
        tally.cases(sources, &[30, 90]);
        for (level, unit) in [("c", 0), ("t", 101), ("v", 11), ("o", 7)] {
            assert_eq!(
                get(&tally, level, unit, "2025-02-28", "handled", ""),
                (1, 0)
            );
            assert_eq!(get(&tally, level, unit, "2025-02-28", "green", ""), (1, 0));
        }
        assert_eq!(get(&tally, "c", 0, "2025-03-02", "refused", ""), (1, 0));
        // The second refusal remembers the first, so a period holding both counts one case.
        assert_eq!(
            get(&tally, "c", 0, "2025-03-04", "refused", "2025-03-02"),
            (1, 0)
        );
        assert_eq!(
            get(&tally, "v", 11, "2025-03-05", "granted", ""),
            (1, 500_000)
        );
        assert_eq!(get(&tally, "o", 7, "2025-03-06", "paid", ""), (1, 500_000));
        let ms_to_payment = MARCH_1 + 5 * DAY + 3_600_000 - accepted;
        let green = format!("green_ms:{ms_to_payment}");
        assert_eq!(get(&tally, "c", 0, "2025-02-28", &green, ""), (1, 0));
        // Follow-ups fall due 30 and 90 days after payment began; the one
        // visit ticks off the first in time.
        assert_eq!(get(&tally, "c", 0, "2025-04-05", "fu_due", ""), (1, 0));
        assert_eq!(get(&tally, "c", 0, "2025-04-05", "fu_on_time", ""), (1, 0));
        assert_eq!(get(&tally, "c", 0, "2025-06-04", "fu_due", ""), (1, 0));
        assert_eq!(get(&tally, "c", 0, "2025-06-04", "fu_on_time", ""), (0, 0));
    }

    #[test]
    fn a_person_aided_twice_counts_once_per_scope_and_period() {
        let mut tally = Tally::default();
        let approvals = vec![
            Approval {
                applicant_id: 5,
                at: MARCH_1,
                village_id: 11,
                township_id: 101,
                officer_id: 7,
            },
            Approval {
                applicant_id: 5,
                at: MARCH_1 + 10 * DAY,
                village_id: 12,
                township_id: 101,
                officer_id: 7,
            },
        ];
        let groups = vec![PersonGroup {
            person_id: 5,
            priority_group: "minor".into(),
        }];
        tally.people(approvals, groups);
        assert_eq!(get(&tally, "c", 0, "2025-03-01", "people", ""), (1, 0));
        assert_eq!(
            get(&tally, "c", 0, "2025-03-11", "people", "2025-03-01"),
            (1, 0)
        );
        assert_eq!(
            get(&tally, "c", 0, "2025-03-11", "people:minor", "2025-03-01"),
            (1, 0)
        );
        // Each village sees the person once: its own approval is their first there.
        assert_eq!(get(&tally, "v", 12, "2025-03-11", "people", ""), (1, 0));
        assert_eq!(
            get(&tally, "t", 101, "2025-03-11", "people", "2025-03-01"),
            (1, 0)
        );
    }

    #[test]
    fn a_change_is_the_difference_of_two_tallies() {
        let mut before = Tally::default();
        before.leads(vec![LeadFacts {
            id: 1,
            channel: "letters".into(),
            received_on: "2025-03-01".into(),
            created_by: 7,
            village_id: None,
            township_id: None,
        }]);
        let mut after = Tally::default();
        after.leads(vec![LeadFacts {
            id: 1,
            channel: "hotline".into(),
            received_on: "2025-03-01".into(),
            created_by: 7,
            village_id: Some(11),
            township_id: Some(101),
        }]);
        let cells = after.minus(before);
        let figures: Vec<(String, i64, String, i64)> = cells
            .into_iter()
            .map(|c| (c.level, c.unit, c.figure, c.n))
            .collect();
        assert_eq!(
            figures,
            vec![
                ("c".into(), 0, "lead:hotline".into(), 1),
                ("c".into(), 0, "lead:letters".into(), -1),
                ("o".into(), 7, "lead:hotline".into(), 1),
                ("o".into(), 7, "lead:letters".into(), -1),
                ("t".into(), 101, "lead:hotline".into(), 1),
                ("v".into(), 11, "lead:hotline".into(), 1),
            ]
        );
    }

    #[test]
    fn signatures_carry_the_follow_up_days() {
        assert_eq!(days_of(&signature(&[30, 90])), Some(vec![30, 90]));
        assert_eq!(days_of(&signature(&[])), Some(vec![]));
        assert_eq!(days_of("2|30"), None);
    }
}
