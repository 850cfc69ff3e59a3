//! Generated volume data: `jiuzhu demo --cases N` fills the database with N
//! realistic cases (people with valid ID numbers, leads from every channel,
//! cases in every state with their timelines) to measure speed at scale.
//!
//! Cases that reached payment get a payment plan and their payments (green
//! channel ones within hours), those being followed up their follow-up
//! visits (most on time), and some cases referrals to partner agencies — so
//! the statistics have something to count.
//!
//! Rows are written in bulk rather than through the use cases, so a million
//! cases take minutes; for the same reason they carry no audit entries —
//! they record no one's real work.

use domain::case::{
    format_case_number, groups_mask, groups_to_text, CaseState, Channel, PriorityGroup,
};
use domain::date::{china_date, format_date, CHINA_OFFSET_MS};
use domain::idcard::with_check_char;
use domain::Role;

use super::{ServiceError, ServiceResult};
use crate::config::AppConfig;
use crate::storage::bulk::{self, Value};
use crate::storage::cases::{group_rows, name_grams};
use crate::storage::{self, now_ms, Db};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// Cases written per transaction.
const BATCH: usize = 5_000;

/// What was generated.
pub struct Generated {
    pub cases: usize,
    pub people: usize,
    pub events: usize,
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An item chosen with the given weights.
    fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[0].0
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "建", "国", "志", "红", "小", "春",
];
const SUMMARIES: &[&str] = &[
    "被害人因故意伤害致残，家庭失去主要劳动力，生活困难。",
    "被害人系未成年人，父亲在案件中身亡，母亲无固定收入。",
    "交通肇事案被害人，肇事方无赔偿能力，医疗费用负担沉重。",
    "被害人遭受诈骗，积蓄被骗一空，系建档立卡户。",
    "被害人近亲属年迈多病，因案致贫，急需生活救助。",
];
const RELATIONSHIPS: &[&str] = &["母亲", "父亲", "祖母", "祖父", "姐姐"];

/// The happy path, with the share of cases in a year that stop at each state.
fn final_state(rng: &mut Rng, past_year: bool) -> CaseState {
    use CaseState as S;
    if past_year {
        rng.weighted(&[
            (S::Closed, 86),
            (S::Withdrawn, 7),
            (S::FollowingUp, 5),
            (S::Paying, 2),
        ])
    } else {
        rng.weighted(&[
            (S::Accepted, 6),
            (S::Investigating, 14),
            (S::Proposed, 8),
            (S::Refused, 4),
            (S::Approved, 6),
            (S::Paying, 8),
            (S::FollowingUp, 14),
            (S::Closed, 34),
            (S::Withdrawn, 6),
        ])
    }
}

/// The states a case passes through to reach `last` (after `accepted`).
fn path_to(last: CaseState, refused_then_closed: bool) -> Vec<(&'static str, CaseState)> {
    use CaseState as S;
    let full = [
        ("start_investigation", S::Investigating),
        ("propose", S::Proposed),
        ("approve", S::Approved),
        ("start_payment", S::Paying),
        ("start_follow_up", S::FollowingUp),
        ("close", S::Closed),
    ];
    match last {
        S::Accepted => vec![],
        S::Withdrawn => vec![full[0], ("withdraw", S::Withdrawn)],
        S::Refused => vec![full[0], full[1], ("refuse", S::Refused)],
        S::Closed if refused_then_closed => {
            vec![
                full[0],
                full[1],
                ("refuse", S::Refused),
                ("close", S::Closed),
            ]
        }
        _ => {
            let n = full
                .iter()
                .position(|(_, s)| *s == last)
                .map_or(0, |i| i + 1);
            full[..n].to_vec()
        }
    }
}

/// UTC ms of midnight, 1 January of `year`, in China time.
fn year_start(year: i32) -> i64 {
    let days = days_from_civil(year, 1, 1);
    days * DAY - CHINA_OFFSET_MS
}

// Howard Hinnant's days-from-civil algorithm.
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Adds `count` generated cases over this year and the two before it.
pub async fn generate(
    db: &Db,
    config: &AppConfig,
    count: usize,
    seed: u64,
) -> ServiceResult<Generated> {
    let villages: Vec<i64> = storage::places::list_villages(db)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    let officers: Vec<i64> = storage::users::names_with_role(db, Role::Officer.as_str())
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let supervisors: Vec<i64> = storage::users::names_with_role(db, Role::Supervisor.as_str())
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let agencies: Vec<i64> = storage::places::list_agencies(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    if villages.is_empty() || officers.is_empty() || supervisors.is_empty() || agencies.is_empty() {
        return Err(ServiceError::Conflict {
            code: "no_county",
            message: "generated cases need villages, officers and supervisors: load the demo first"
                .into(),
        });
    }
    let now = now_ms();
    let this_year = china_date(now).0;
    let mut rng = Rng(seed);
    let mut counters: std::collections::HashMap<i64, i64> =
        bulk::case_counters(db).await?.into_iter().collect();
    // Two years back get a little less than the current one, which is still running.
    let years = [this_year - 2, this_year - 1, this_year];
    let shares = [32u64, 36, 32];
    let mut done = Generated {
        cases: 0,
        people: 0,
        events: 0,
    };
    for (year, share) in years.into_iter().zip(shares) {
        let in_year = if year == this_year {
            count - done.cases
        } else {
            (count as u64 * share / 100) as usize
        };
        let start = year_start(year);
        let end = if year == this_year {
            now - HOUR
        } else {
            year_start(year + 1)
        };
        let end = end.max(start + HOUR);
        let mut written = 0;
        while written < in_year {
            let n = BATCH.min(in_year - written);
            let batch = Batch::build(
                &mut rng,
                BatchInput {
                    year,
                    start,
                    end,
                    now,
                    first: written,
                    n,
                    in_year,
                },
                &mut counters,
                &villages,
                &officers,
                &supervisors,
                &agencies,
                config,
            );
            done.people += batch.people.len();
            done.events += batch.events.len();
            batch.write(db).await?;
            written += n;
            done.cases += n;
        }
    }
    bulk::resync_ids(
        db,
        &[
            "people",
            "leads",
            "cases",
            "case_events",
            "money_installments",
            "money_payments",
            "referrals",
        ],
    )
    .await?;
    // The rows went in around the use cases, so the statistics are counted afresh.
    super::rollup::rebuild(db, &config.follow_up_days).await?;
    bulk::analyze(db).await?;
    Ok(done)
}

struct BatchInput {
    year: i32,
    start: i64,
    end: i64,
    now: i64,
    /// Index of the batch's first case within the year.
    first: usize,
    n: usize,
    in_year: usize,
}

#[derive(Default)]
struct Batch {
    people: Vec<Vec<Value>>,
    name_grams: Vec<Vec<Value>>,
    person_groups: Vec<Vec<Value>>,
    leads: Vec<Vec<Value>>,
    lead_people: Vec<Vec<Value>>,
    cases: Vec<Vec<Value>>,
    events: Vec<Vec<Value>>,
    plans: Vec<Vec<Value>>,
    installments: Vec<Vec<Value>>,
    payments: Vec<Vec<Value>>,
    visits: Vec<Vec<Value>>,
    referrals: Vec<Vec<Value>>,
    year: i64,
    last_seq: i64,
}

impl Batch {
    #[allow(clippy::too_many_arguments)]
    fn build(
        rng: &mut Rng,
        input: BatchInput,
        counters: &mut std::collections::HashMap<i64, i64>,
        villages: &[i64],
        officers: &[i64],
        supervisors: &[i64],
        agencies: &[i64],
        config: &AppConfig,
    ) -> Batch {
        let year = i64::from(input.year);
        let mut batch = Batch {
            year,
            ..Batch::default()
        };
        let seq = counters.entry(year).or_insert(0);
        let span = (input.end - input.start).max(1);
        for k in 0..input.n {
            let i = input.first + k;
            *seq += 1;
            // Spread evenly through the year so case numbers follow acceptance.
            let accepted_at = input.start
                + span * i as i64 / input.in_year.max(1) as i64
                + rng.below((span / input.in_year.max(1) as i64).max(1) as u64) as i64;
            let village = *rng.pick(villages);
            let officer = *rng.pick(officers);
            let minor = rng.chance(30);
            let mut groups = Vec::new();
            if minor {
                groups.push(PriorityGroup::Minor);
            }
            for (group, percent) in [
                (PriorityGroup::PoorHousehold, 25),
                (PriorityGroup::Disabled, 12),
                (PriorityGroup::Veteran, 3),
                (PriorityGroup::ImpoverishedByCase, 35),
            ] {
                if rng.chance(percent) {
                    groups.push(group);
                }
            }
            if groups.is_empty() {
                groups.push(PriorityGroup::Other);
            }
            let (acc_y, _, _) = china_date(accepted_at);
            let birth_year = if minor {
                acc_y - 3 - rng.below(14) as i32
            } else {
                acc_y - 20 - rng.below(60) as i32
            };
            let mut people = vec![(person_name(rng), birth_year, groups_to_text(&groups))];
            let agent = minor && rng.chance(80);
            if agent {
                people.push((
                    person_name(rng),
                    birth_year - 25 - rng.below(30) as i32,
                    String::new(),
                ));
            }
            let person_ids: Vec<i64> = people
                .iter()
                .map(|(name, birth_year, groups)| {
                    batch.push_person(rng, name, *birth_year, groups, village, accepted_at)
                })
                .collect();
            let channel = rng.weighted(&[
                (Channel::CaseScreening, 30),
                (Channel::LettersVisits, 15),
                (Channel::Platform12309, 8),
                (Channel::Hotline12309, 10),
                (Channel::ChiefReception, 7),
                (Channel::InternalReferral, 12),
                (Channel::PoliceLiaison, 6),
                (Channel::CourtLiaison, 5),
                (Channel::Outreach, 4),
                (Channel::Other, 3),
            ]);
            let received = accepted_at - rng.below(5) as i64 * DAY;
            // Numbered from 1 within the batch; `write` shifts them past the ids in use.
            let lead_id = batch.leads.len() as i64 + 1;
            let case_id = batch.cases.len() as i64 + 1;
            batch.leads.push(vec![
                Value::Int(lead_id),
                Value::Text(channel.as_str().into()),
                Value::OptText(
                    (channel == Channel::InternalReferral).then(|| "刑事检察部门".into()),
                ),
                Value::Text(format_date(china_date(received))),
                Value::Text("来访群众".into()),
                Value::Text((*rng.pick(SUMMARIES)).into()),
                Value::Text("accepted".into()),
                Value::OptInt(Some(case_id)),
                Value::Int(officer),
                Value::Int(received),
                Value::Int(accepted_at),
            ]);
            for (position, person_id) in person_ids.iter().enumerate() {
                batch.lead_people.push(vec![
                    Value::Int(lead_id),
                    Value::Int(*person_id),
                    Value::Int(position as i64),
                ]);
            }

            let last = final_state(rng, input.year < china_date(input.now).0);
            let green = rng.chance(5);
            let steps = path_to(last, rng.chance(15));
            let mut at = accepted_at;
            batch.event(
                case_id,
                at,
                officer,
                "accept",
                None,
                CaseState::Accepted,
                None,
                None,
            );
            let proposed = (5_000 + rng.below(75_000) as i64 / 100 * 100) * 100;
            let mut state = CaseState::Accepted;
            let mut state_since = at;
            let (mut proposed_fen, mut approved_fen) = (None, None);
            let mut paid_at = None;
            for (action, to) in &steps {
                let pause = if green {
                    (2 + rng.below(10) as i64) * HOUR
                } else {
                    (1 + rng.below(12) as i64) * DAY
                };
                at = (at + pause).min(input.now - HOUR);
                let actor = if matches!(*action, "approve" | "refuse") {
                    *rng.pick(supervisors)
                } else {
                    officer
                };
                let amount = match *action {
                    "propose" => {
                        proposed_fen = Some(proposed);
                        Some(proposed)
                    }
                    "approve" => {
                        approved_fen = Some(proposed);
                        Some(proposed)
                    }
                    _ => None,
                };
                let comment = matches!(*action, "propose" | "approve" | "refuse" | "withdraw")
                    .then_some("同意。");
                batch.event(
                    case_id,
                    at,
                    actor,
                    action,
                    Some(state),
                    *to,
                    amount,
                    comment,
                );
                if *action == "start_payment" {
                    paid_at = Some(at);
                }
                state = *to;
                state_since = at;
            }
            if let (Some(paid_at), Some(approved)) = (paid_at, approved_fen) {
                let followed_up = matches!(state, CaseState::FollowingUp | CaseState::Closed);
                batch.money(
                    rng,
                    case_id,
                    officer,
                    approved,
                    paid_at,
                    green,
                    minor,
                    followed_up,
                    input.now,
                    &config.follow_up_days,
                );
            }
            if !matches!(
                state,
                CaseState::Accepted | CaseState::Investigating | CaseState::Withdrawn
            ) && rng.chance(15)
            {
                let agency = *rng.pick(agencies);
                batch.referral(
                    rng,
                    case_id,
                    person_ids[0],
                    officer,
                    agency,
                    accepted_at,
                    input.now,
                );
            }
            let number = format_case_number(&config.case_number_prefix, input.year, *seq);
            let agent_id = person_ids.get(1).copied();
            batch.cases.push(vec![
                Value::Int(case_id),
                Value::Text(number),
                Value::Int(year),
                Value::Int(*seq),
                Value::Int(lead_id),
                Value::Text(state.as_str().into()),
                Value::Int(person_ids[0]),
                Value::OptInt(agent_id),
                Value::OptText(agent_id.map(|_| (*rng.pick(RELATIONSHIPS)).into())),
                Value::OptText(Some(format!(
                    "寿公刑〔{}〕{}号",
                    input.year,
                    1 + rng.below(900)
                ))),
                Value::Int(village),
                Value::Int(officer),
                Value::Bool(green),
                Value::Bool(green && rng.chance(80)),
                Value::OptInt(green.then(|| accepted_at + config.green_channel_hours * HOUR)),
                Value::OptInt(proposed_fen),
                Value::OptText(proposed_fen.map(|_| "家庭因案陷入困难，符合救助条件。".into())),
                Value::OptInt(approved_fen),
                Value::Int(accepted_at),
                Value::Int(state_since),
                Value::Int(state_since),
                Value::Int(groups_mask(&people[0].2)),
            ]);
            batch.last_seq = *seq;
        }
        batch
    }

    /// The payment plan of an approved case whose payment began at `paid_at`,
    /// its payments so far, and (once followed up) its follow-up visits.
    #[allow(clippy::too_many_arguments)]
    fn money(
        &mut self,
        rng: &mut Rng,
        case_id: i64,
        officer: i64,
        approved: i64,
        paid_at: i64,
        green: bool,
        minor: bool,
        followed_up: bool,
        now: i64,
        follow_up_days: &[i64],
    ) {
        let last = now - HOUR;
        // A minor's aid comes in two installments, two months apart.
        let first_amount = if minor { approved / 2 } else { approved };
        let parts = if minor {
            vec![
                (paid_at, first_amount),
                (paid_at + 60 * DAY, approved - first_amount),
            ]
        } else {
            vec![(paid_at, approved)]
        };
        let mut paid = 0;
        for (seq, (due, amount)) in parts.iter().enumerate() {
            let installment = self.installments.len() as i64 + 1;
            self.installments.push(vec![
                Value::Int(installment),
                Value::Int(case_id),
                Value::Int(seq as i64 + 1),
                Value::Text(format_date(china_date(*due))),
                Value::Int(*amount),
            ]);
            let delay = if green {
                (1 + rng.below(6) as i64) * HOUR
            } else {
                rng.below(4) as i64 * DAY + rng.below(8) as i64 * HOUR
            };
            let at = (*due + delay).min(last);
            let due_yet = seq == 0 || (followed_up && *due < last);
            if due_yet && at >= paid_at {
                paid += amount;
                self.payments.push(vec![
                    Value::Int(case_id),
                    Value::Int(installment),
                    Value::Int(*amount),
                    Value::Text(format_date(china_date(at))),
                    Value::Text(
                        if rng.chance(90) {
                            "bank_transfer"
                        } else {
                            "cash"
                        }
                        .into(),
                    ),
                    Value::Text(format!("YH{}", 100_000 + rng.below(900_000))),
                    Value::Int(officer),
                    Value::Int(at),
                ]);
            }
        }
        self.plans.push(vec![
            Value::Int(case_id),
            Value::Text(
                if parts.len() > 1 {
                    "installments"
                } else {
                    "single"
                }
                .into(),
            ),
            Value::Bool(false),
            Value::Int(approved),
            Value::Int(paid),
            Value::Int(officer),
            Value::Int(paid_at),
            Value::Int(paid_at),
        ]);
        if !followed_up {
            return;
        }
        for days in follow_up_days {
            if !rng.chance(85) {
                continue;
            }
            // Most follow-ups come in the days before they fall due; some late.
            let due = paid_at + days * DAY;
            let at = if rng.chance(80) {
                due - rng.below(5 * 24) as i64 * HOUR
            } else {
                due + (1 + rng.below(10 * 24) as i64) * HOUR
            };
            if at >= last {
                continue;
            }
            self.visits.push(vec![
                Value::Text(format!("{:016x}{:016x}", rng.next(), rng.next())),
                Value::Int(case_id),
                Value::Text(
                    if rng.chance(60) {
                        "phone_follow_up"
                    } else {
                        "on_site_follow_up"
                    }
                    .into(),
                ),
                Value::Int(at),
                Value::Text("申请人家中".into()),
                Value::Text("申请人本人".into()),
                Value::Text("generated".into()),
                Value::Int(officer),
                Value::Int(at),
            ]);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn referral(
        &mut self,
        rng: &mut Rng,
        case_id: i64,
        person_id: i64,
        officer: i64,
        agency: i64,
        accepted_at: i64,
        now: i64,
    ) {
        use domain::referral::{ReferralState as R, Service};
        let at = (accepted_at + (2 + rng.below(10) as i64) * DAY).min(now - HOUR);
        let state = rng.weighted(&[
            (R::Done, 50),
            (R::InProgress, 15),
            (R::Accepted, 10),
            (R::Sent, 10),
            (R::Declined, 10),
            (R::Withdrawn, 5),
        ]);
        self.referrals.push(vec![
            Value::Int(case_id),
            Value::Int(person_id),
            Value::Int(agency),
            Value::Text(rng.pick(Service::ALL).as_str().into()),
            Value::Text("协助解决就学、生活困难。".into()),
            Value::Text(format_date(china_date(at + 30 * DAY))),
            Value::Text(state.as_str().into()),
            Value::OptText((state == R::Done).then(|| "已落实。".into())),
            Value::Int(officer),
            Value::Int(at),
            Value::Int(at),
        ]);
    }

    fn push_person(
        &mut self,
        rng: &mut Rng,
        name: &str,
        birth_year: i32,
        groups: &str,
        village: i64,
        at: i64,
    ) -> i64 {
        let id = self.people.len() as i64 + 1;
        let first17 = format!(
            "340422{birth_year:04}{:02}{:02}{:03}",
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(1000)
        );
        let id_number = with_check_char(&first17);
        for gram in name_grams(name) {
            self.name_grams
                .push(vec![Value::Text(gram), Value::Int(id)]);
        }
        for group in group_rows(groups) {
            self.person_groups
                .push(vec![Value::Text(group.to_string()), Value::Int(id)]);
        }
        self.people.push(vec![
            Value::Int(id),
            Value::Text(name.into()),
            Value::OptText(id_number),
            Value::Int(village),
            Value::OptText(Some(format!("13{:09}", rng.below(1_000_000_000)))),
            Value::Text(groups.into()),
            Value::Int(at),
        ]);
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        case_id: i64,
        at: i64,
        actor: i64,
        action: &str,
        from: Option<CaseState>,
        to: CaseState,
        amount: Option<i64>,
        comment: Option<&str>,
    ) {
        self.events.push(vec![
            Value::Int(case_id),
            Value::Int(at),
            Value::Int(actor),
            Value::Text(action.into()),
            Value::OptText(from.map(|s| s.as_str().into())),
            Value::Text(to.as_str().into()),
            Value::OptInt(amount),
            Value::OptText(comment.map(str::to_string)),
        ]);
    }

    /// Writes the batch in one transaction, numbering rows after the ids in use.
    async fn write(mut self, db: &Db) -> ServiceResult<()> {
        let mut tx = db.begin().await?;
        let base = (
            bulk::max_id(&mut tx, "people").await?,
            bulk::max_id(&mut tx, "leads").await?,
            bulk::max_id(&mut tx, "cases").await?,
        );
        let installments = bulk::max_id(&mut tx, "money_installments").await?;
        self.renumber(base, installments);
        bulk::insert_rows(
            &mut tx,
            "people",
            &[
                "id",
                "name",
                "id_number",
                "village_id",
                "phone",
                "priority_groups",
                "created_at",
            ],
            &self.people,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "person_name_grams",
            &["gram", "person_id"],
            &self.name_grams,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "person_groups",
            &["priority_group", "person_id"],
            &self.person_groups,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "leads",
            &[
                "id",
                "channel",
                "channel_detail",
                "received_on",
                "reporter",
                "summary",
                "status",
                "case_id",
                "created_by",
                "created_at",
                "updated_at",
            ],
            &self.leads,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "lead_people",
            &["lead_id", "person_id", "position"],
            &self.lead_people,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "cases",
            &[
                "id",
                "number",
                "year",
                "seq",
                "lead_id",
                "state",
                "applicant_id",
                "agent_id",
                "agent_relationship",
                "criminal_case_ref",
                "village_id",
                "officer_id",
                "green_channel",
                "green_channel_confirmed",
                "green_channel_deadline",
                "proposed_amount_fen",
                "proposal_reasoning",
                "approved_amount_fen",
                "accepted_at",
                "updated_at",
                "state_since",
                "applicant_groups",
            ],
            &self.cases,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "case_events",
            &[
                "case_id",
                "at",
                "actor_id",
                "action",
                "from_state",
                "to_state",
                "amount_fen",
                "comment",
            ],
            &self.events,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "money_plans",
            &[
                "case_id",
                "kind",
                "supervised",
                "approved_fen",
                "paid_fen",
                "created_by",
                "created_at",
                "updated_at",
            ],
            &self.plans,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "money_installments",
            &["id", "case_id", "seq", "due_on", "amount_fen"],
            &self.installments,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "money_payments",
            &[
                "case_id",
                "installment_id",
                "amount_fen",
                "paid_on",
                "method",
                "reference",
                "recorded_by",
                "recorded_at",
            ],
            &self.payments,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "visits",
            &[
                "id",
                "case_id",
                "kind",
                "visited_at",
                "place",
                "people_met",
                "fingerprint",
                "officer_id",
                "recorded_at",
            ],
            &self.visits,
        )
        .await?;
        bulk::insert_rows(
            &mut tx,
            "referrals",
            &[
                "case_id",
                "person_id",
                "agency_id",
                "service",
                "note",
                "due_on",
                "state",
                "outcome",
                "created_by",
                "created_at",
                "updated_at",
            ],
            &self.referrals,
        )
        .await?;
        bulk::raise_case_counter(&mut tx, self.year, self.last_seq).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rows were numbered from 1 while building; shift every id and reference.
    fn renumber(&mut self, (people, leads, cases): (i64, i64, i64), installments: i64) {
        let shift = |value: &mut Value, by: i64| match value {
            Value::Int(v) => *v += by,
            Value::OptInt(Some(v)) => *v += by,
            _ => {}
        };
        for row in &mut self.people {
            shift(&mut row[0], people);
        }
        for row in self.name_grams.iter_mut().chain(&mut self.person_groups) {
            shift(&mut row[1], people);
        }
        for row in &mut self.leads {
            shift(&mut row[0], leads);
            shift(&mut row[7], cases);
        }
        for row in &mut self.lead_people {
            shift(&mut row[0], leads);
            shift(&mut row[1], people);
        }
        for row in &mut self.cases {
            shift(&mut row[0], cases);
            shift(&mut row[4], leads);
            shift(&mut row[6], people);
            shift(&mut row[7], people);
        }
        for row in &mut self.events {
            shift(&mut row[0], cases);
        }
        for row in &mut self.plans {
            shift(&mut row[0], cases);
        }
        for row in &mut self.installments {
            shift(&mut row[0], installments);
            shift(&mut row[1], cases);
        }
        for row in &mut self.payments {
            shift(&mut row[0], cases);
            shift(&mut row[1], installments);
        }
        for row in &mut self.visits {
            shift(&mut row[1], cases);
        }
        for row in &mut self.referrals {
            shift(&mut row[0], cases);
            shift(&mut row[1], people);
        }
    }
}

fn person_name(rng: &mut Rng) -> String {
    let mut name = String::from(*rng.pick(SURNAMES));
    name.push_str(rng.pick::<&str>(GIVEN));
    if rng.chance(70) {
        name.push_str(rng.pick::<&str>(GIVEN));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_start_at_china_midnight() {
        assert_eq!(china_date(year_start(2026)), (2026, 1, 1));
        assert_eq!(china_date(year_start(2026) - 1), (2025, 12, 31));
    }

    #[test]
    fn paths_end_where_asked_and_follow_the_rules() {
        for last in CaseState::ALL {
            for refused in [false, true] {
                let path = path_to(*last, refused);
                let mut state = CaseState::Accepted;
                for (action, to) in &path {
                    let action = domain::case::CaseAction::parse(action).unwrap();
                    assert_eq!(action.target(state), Some(*to), "{last:?}");
                    state = *to;
                }
                assert_eq!(state, *last);
            }
        }
    }
}
