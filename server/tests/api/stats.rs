//! Supervisors' statistics, checked figure by figure against a hand-built
//! fixture of 2024 and 2025 written straight into the database (the API only
//! writes "now"), in a township of its own. The demo data loaded for the
//! accounts lives in the present year, so 2024 and 2025 hold only the fixture.

use reqwest::StatusCode;
use serde_json::Value;
use server::storage::Db;

use calamine::{Data, Reader, Xlsx};

use crate::helpers::{assert_error, get, get_json, on_both, on_both_with, TestApp};

const HOUR: i64 = 3_600_000;
const FULL_ID: &str = "110101199003070012";
const FULL_PHONE: &str = "13812345678";

/// UTC ms of a China-time wall clock.
fn china(y: i32, m: u32, d: u32, h: i64, min: i64) -> i64 {
    domain::stats::china_midnight_ms((y, m, d)) + h * HOUR + min * 60_000
}

async fn exec(db: &Db, sql: &str) {
    let result = match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    };
    result.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Ids the fixture uses.
struct Fixture {
    township: i64,
    village_a: i64,
    officer_2: i64,
    agency: i64,
}

/// See the comments for what each row contributes; the expected figures
/// in the tests below are worked out from them by hand.
async fn fixture(app: &TestApp) -> Fixture {
    let db = &app.db;
    let o1 = scalar(db, "SELECT id FROM users WHERE username = 'wang.fang'").await;
    let o2 = scalar(db, "SELECT id FROM users WHERE username = 'chen.ming'").await;
    let sup = scalar(db, "SELECT id FROM users WHERE username = 'zhang.jian'").await;
    let agency = scalar(db, "SELECT MIN(id) FROM agencies").await;
    let (t, a, b) = (9001, 9101, 9102);
    exec(
        db,
        &format!("INSERT INTO townships (id, name) VALUES ({t}, '统计乡')"),
    )
    .await;
    exec(db, &format!("INSERT INTO villages (id, township_id, name) VALUES ({a}, {t}, '甲村'), ({b}, {t}, '乙村')")).await;
    // People: (id, village, groups)
    let people = [
        (1, a, "minor,poor_household"),
        (2, b, "disabled"),
        (3, a, "other"),
        (4, a, "other"),
        (5, a, "minor"),
        (6, b, "other"),
        (7, a, "other"),
    ];
    for (n, village, groups) in people {
        let id = 90_000 + n;
        // The first applicant has an ID number and a phone, for the exports to mask.
        let (id_number, phone) = if n == 1 {
            (format!("'{FULL_ID}'"), format!("'{FULL_PHONE}'"))
        } else {
            ("NULL".to_string(), "NULL".to_string())
        };
        exec(db, &format!(
            "INSERT INTO people (id, name, id_number, village_id, phone, priority_groups, created_at) \
             VALUES ({id}, '统计人{n}', {id_number}, {village}, {phone}, '{groups}', 0)"
        )).await;
        for group in groups.split(',') {
            exec(db, &format!("INSERT INTO person_groups (priority_group, person_id) VALUES ('{group}', {id})")).await;
        }
    }
    // Leads: (n, channel, received_on, status, case, officer)
    let leads = [
        (1, "hotline_12309", "2025-03-01", "accepted", Some(1), o1),
        (2, "hotline_12309", "2025-06-10", "accepted", Some(2), o2),
        (3, "letters_visits", "2025-12-31", "accepted", Some(3), o1),
        (4, "letters_visits", "2026-01-01", "accepted", Some(4), o1),
        (5, "hotline_12309", "2024-05-05", "accepted", Some(5), o1),
        (6, "case_screening", "2024-07-07", "declined", None, o2),
        (7, "outreach", "2025-08-08", "declined", None, o1),
    ];
    for (n, channel, on, status, case, officer) in leads {
        let case = case.map_or("NULL".to_string(), |c| (90_000 + c).to_string());
        exec(db, &format!(
            "INSERT INTO leads (id, channel, received_on, reporter, summary, status, case_id, created_by, created_at, updated_at) \
             VALUES ({}, '{channel}', '{on}', '来访', '统计', '{status}', {case}, {officer}, 0, 0)",
            90_000 + n
        )).await;
        exec(
            db,
            &format!(
                "INSERT INTO lead_people (lead_id, person_id, position) VALUES ({}, {}, 0)",
                90_000 + n,
                90_000 + n
            ),
        )
        .await;
    }
    // Cases: (n, village, officer, green, accepted_at, year)
    let cases = [
        (1, a, o1, true, china(2025, 3, 2, 10, 0)),
        (2, b, o2, true, china(2025, 6, 11, 9, 0)),
        // 23:30 on New Year's Eve in China (15:30 UTC): still 2025.
        (3, a, o1, false, china(2025, 12, 31, 23, 30)),
        // 00:30 on New Year's Day in China (16:30 UTC on the 31st): 2026.
        (4, a, o1, false, china(2026, 1, 1, 0, 30)),
        (5, a, o1, false, china(2024, 5, 6, 10, 0)),
    ];
    for (n, village, officer, green, at) in cases {
        let id = 90_000 + n;
        let year = domain::date::china_date(at).0;
        exec(db, &format!(
            "INSERT INTO cases (id, number, year, seq, lead_id, state, applicant_id, village_id, officer_id, \
             green_channel, accepted_at, updated_at, state_since) \
             VALUES ({id}, 'T-{n}', {year}, {}, {id}, 'paying', {id}, {village}, {officer}, {green}, {at}, {at}, {at})",
            9_000 + n
        )).await;
    }
    // Events: (case, action, at, amount)
    let events = [
        (1, "approve", china(2025, 3, 3, 9, 0), Some(300_000)),
        (1, "start_payment", china(2025, 3, 3, 20, 0), None),
        (2, "refuse", china(2025, 6, 11, 12, 0), None),
        (2, "propose", china(2025, 6, 11, 14, 0), Some(500_000)),
        (2, "approve", china(2025, 6, 12, 8, 0), Some(500_000)),
        (2, "start_payment", china(2025, 6, 12, 9, 0), None),
        (3, "refuse", china(2025, 12, 31, 23, 45), None),
        (4, "approve", china(2026, 1, 1, 0, 40), Some(100_000)),
        (5, "approve", china(2024, 6, 1, 9, 0), Some(400_000)),
        (5, "start_payment", china(2024, 11, 20, 10, 0), None),
    ];
    for (n, action, at, amount) in events {
        let actor = if matches!(action, "approve" | "refuse") {
            sup
        } else {
            o1
        };
        let amount = amount.map_or("NULL".to_string(), |f: i64| f.to_string());
        exec(db, &format!(
            "INSERT INTO case_events (case_id, at, actor_id, action, from_state, to_state, amount_fen) \
             VALUES ({}, {at}, {actor}, '{action}', NULL, 'paying', {amount})",
            90_000 + n
        )).await;
    }
    // Plans and payments: (case, approved, [(installment, paid_on, recorded_at, fen)])
    let plans: [(i64, i64, &[(i64, &str, i64, i64)]); 3] = [
        // First payment 36 hours after acceptance.
        (
            1,
            300_000,
            &[(1, "2025-03-03", china(2025, 3, 3, 22, 0), 300_000)],
        ),
        // 48 hours; the second installment is paid on New Year's Day 2026.
        (
            2,
            500_000,
            &[
                (2, "2025-06-13", china(2025, 6, 13, 9, 0), 200_000),
                (3, "2026-01-01", china(2026, 1, 1, 1, 0), 300_000),
            ],
        ),
        (
            5,
            400_000,
            &[(4, "2024-11-20", china(2024, 11, 20, 10, 0), 400_000)],
        ),
    ];
    for (n, approved, payments) in plans {
        let case = 90_000 + n;
        let paid: i64 = payments.iter().map(|p| p.3).sum();
        exec(db, &format!(
            "INSERT INTO money_plans (case_id, kind, supervised, approved_fen, paid_fen, created_by, created_at, updated_at) \
             VALUES ({case}, 'installments', FALSE, {approved}, {paid}, {o1}, 0, 0)"
        )).await;
        for (seq, (inst, on, at, fen)) in payments.iter().enumerate() {
            let inst = 90_000 + inst;
            exec(db, &format!(
                "INSERT INTO money_installments (id, case_id, seq, due_on, amount_fen) VALUES ({inst}, {case}, {}, '{on}', {fen})",
                seq + 1
            )).await;
            exec(db, &format!(
                "INSERT INTO money_payments (case_id, installment_id, amount_fen, paid_on, method, reference, recorded_by, recorded_at) \
                 VALUES ({case}, {inst}, {fen}, '{on}', 'bank_transfer', 'R', {o1}, {at})"
            )).await;
        }
    }
    // Follow-up visits: (id, case, kind, at). Follow-ups fall due 30 and 90
    // days after payment began.
    let visits = [
        // Case 5, paid 2024-11-20 10:00: 30-day due 2024-12-20 (done on time),
        // 90-day due 2025-02-18 (done late, on 2025-03-01).
        ("v51", 5, "phone_follow_up", china(2024, 12, 10, 9, 0)),
        ("v52", 5, "on_site_follow_up", china(2025, 3, 1, 9, 0)),
        // A third follow-up ticks nothing more off.
        ("v53", 5, "phone_follow_up", china(2025, 3, 2, 9, 0)),
        // Case 1, paid 2025-03-03 20:00: 30-day on time, 90-day never done.
        // Follow-ups before payment began tick nothing off, nor may they,
        // as many as fall due, crowd out the one after.
        ("v09", 1, "phone_follow_up", china(2025, 2, 20, 9, 0)),
        ("v10", 1, "phone_follow_up", china(2025, 3, 1, 9, 0)),
        ("v11", 1, "phone_follow_up", china(2025, 3, 30, 9, 0)),
        // Not a follow-up: ticks nothing off.
        ("v12", 1, "home_visit", china(2025, 4, 1, 9, 0)),
        // Case 2, paid 2025-06-12 09:00: 30-day on time (an hour early),
        // 90-day an hour late.
        ("v21", 2, "on_site_follow_up", china(2025, 7, 12, 8, 0)),
        ("v22", 2, "phone_follow_up", china(2025, 9, 10, 10, 0)),
    ];
    for (id, n, kind, at) in visits {
        exec(db, &format!(
            "INSERT INTO visits (id, case_id, kind, visited_at, place, people_met, fingerprint, officer_id, recorded_at) \
             VALUES ('{id}', {}, '{kind}', {at}, '家中', '本人', '{id}', {o1}, {at})",
            90_000 + n
        )).await;
    }
    // Referrals: (case, state, created_at)
    let referrals = [
        (1, "done", china(2025, 4, 1, 9, 0)),
        (2, "declined", china(2025, 8, 1, 9, 0)),
        (5, "done", china(2024, 7, 1, 9, 0)),
    ];
    for (n, state, at) in referrals {
        exec(db, &format!(
            "INSERT INTO referrals (case_id, person_id, agency_id, service, note, due_on, state, created_by, created_at, updated_at) \
             VALUES ({case}, {case}, {agency}, 'education', '转介', '2025-12-01', '{state}', {o1}, {at}, {at})",
            case = 90_000 + n
        )).await;
    }
    // The rows went in around the use cases: count them as a restore would.
    app.rebuild_rollups().await;
    Fixture {
        township: t,
        village_a: a,
        officer_2: o2,
        agency,
    }
}

/// (current, previous, change) of a figure.
fn fig(v: &Value) -> (i64, i64, String) {
    (
        v["current"].as_i64().expect("current"),
        v["previous"].as_i64().expect("previous"),
        v["change"].as_str().expect("change").to_string(),
    )
}

fn keyed<'a>(list: &'a Value, key: &str) -> &'a Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|item| item["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {list}"))
}

fn f(current: i64, previous: i64, change: &str) -> (i64, i64, String) {
    (current, previous, change.to_string())
}

#[tokio::test]
async fn county_figures_of_a_year_match_the_hand_computed_fixture() {
    on_both(|app| async move {
        app.load_demo().await;
        let fx = fixture(&app).await;
        let supervisor = app.client_for("zhang.jian").await;
        let s = get_json(&supervisor, app.url("/api/v1/stats?year=2025")).await;
        assert_eq!(s["period"]["from"], "2025-01-01");
        assert_eq!(s["previous_period"]["to"], "2024-12-31");
        assert_eq!(s["scope"]["kind"], "county");
        // Leads: 2025 has L1, L2 (hotline), L3 (letters), L7 (outreach); 2024 L5 (hotline), L6 (screening).
        assert_eq!(fig(&s["leads"]), f(4, 2, "+100.0%"));
        assert_eq!(
            fig(keyed(&s["leads_by_channel"], "hotline_12309")),
            f(2, 1, "+100.0%")
        );
        assert_eq!(
            fig(keyed(&s["leads_by_channel"], "letters_visits")),
            f(1, 0, "new")
        );
        assert_eq!(
            fig(keyed(&s["leads_by_channel"], "case_screening")),
            f(0, 1, "-100.0%")
        );
        assert_eq!(
            fig(keyed(&s["leads_by_channel"], "outreach")),
            f(1, 0, "new")
        );
        assert_eq!(fig(keyed(&s["leads_by_channel"], "other")), f(0, 0, "0.0%"));
        assert_eq!(s["leads_by_channel"].as_array().unwrap().len(), 10);
        // Cases 1, 2 and 3 (23:30 on 31 December); case 4 is 2026's.
        assert_eq!(fig(&s["cases_handled"]), f(3, 1, "+200.0%"));
        assert_eq!(fig(&s["cases_granted"]), f(2, 1, "+100.0%"));
        // Case 2 refused in June (then granted), case 3 at 23:45 on 31 December.
        assert_eq!(fig(&s["cases_refused"]), f(2, 0, "new"));
        assert_eq!(
            fig(&s["money_approved_fen"]),
            f(800_000, 400_000, "+100.0%")
        );
        // 3,000 + 2,000 yuan; the 3,000 paid on New Year's Day 2026 is not 2025's.
        assert_eq!(fig(&s["money_paid_fen"]), f(500_000, 400_000, "+25.0%"));
        assert_eq!(fig(&s["people_aided"]), f(2, 1, "+100.0%"));
        let groups = &s["people_aided_by_group"];
        assert_eq!(fig(keyed(groups, "minor")), f(1, 1, "0.0%"));
        assert_eq!(fig(keyed(groups, "poor_household")), f(1, 0, "new"));
        assert_eq!(fig(keyed(groups, "disabled")), f(1, 0, "new"));
        assert_eq!(fig(keyed(groups, "veteran")), f(0, 0, "0.0%"));
        assert_eq!(fig(&s["green_channel_cases"]), f(2, 0, "new"));
        // 36 and 48 hours: the median is 42.0.
        assert_eq!(s["green_channel_median_hours"]["current_tenths"], 420);
        assert!(s["green_channel_median_hours"]["previous_tenths"].is_null());
        // Due in 2025: case 5's 90-day (late), case 1's two (one on time),
        // case 2's two (one on time). 2024: case 5's 30-day, on time.
        assert_eq!(fig(&s["follow_ups_due"]), f(5, 1, "+400.0%"));
        assert_eq!(fig(&s["follow_ups_on_time"]), f(2, 1, "+100.0%"));
        let agency = s["referrals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["agency"]["id"] == fx.agency)
            .expect("the agency");
        assert_eq!(fig(&agency["total"]), f(2, 1, "+100.0%"));
        assert_eq!(fig(keyed(&agency["by_state"], "done")), f(1, 1, "0.0%"));
        assert_eq!(fig(keyed(&agency["by_state"], "declined")), f(1, 0, "new"));
        assert_eq!(fig(keyed(&agency["by_state"], "sent")), f(0, 0, "0.0%"));
        app
    })
    .await;
}

#[tokio::test]
async fn scopes_narrow_the_figures_and_a_decrease_is_negative() {
    on_both(|app| async move {
        app.load_demo().await;
        let fx = fixture(&app).await;
        let supervisor = app.client_for("zhang.jian").await;
        let village = get_json(
            &supervisor,
            app.url(&format!(
                "/api/v1/stats?year=2025&scope=village&scope_id={}",
                fx.village_a
            )),
        )
        .await;
        assert_eq!(village["scope"]["name"], "甲村");
        // Village A: leads L1, L3, L7 against L5; cases 1 and 3 against 5.
        assert_eq!(fig(&village["leads"]), f(3, 1, "+200.0%"));
        assert_eq!(fig(&village["cases_handled"]), f(2, 1, "+100.0%"));
        assert_eq!(fig(&village["cases_granted"]), f(1, 1, "0.0%"));
        // 3,000 yuan against 4,000: a quarter less.
        assert_eq!(
            fig(&village["money_paid_fen"]),
            f(300_000, 400_000, "-25.0%")
        );
        assert_eq!(
            fig(&village["money_approved_fen"]),
            f(300_000, 400_000, "-25.0%")
        );
        assert_eq!(fig(&village["follow_ups_due"]), f(3, 1, "+200.0%"));
        assert_eq!(fig(&village["follow_ups_on_time"]), f(1, 1, "0.0%"));

        let township = get_json(
            &supervisor,
            app.url(&format!(
                "/api/v1/stats?year=2025&scope=township&scope_id={}",
                fx.township
            )),
        )
        .await;
        assert_eq!(fig(&township["leads"]), f(4, 2, "+100.0%"));
        assert_eq!(fig(&township["cases_handled"]), f(3, 1, "+200.0%"));
        assert_eq!(
            fig(&township["money_paid_fen"]),
            f(500_000, 400_000, "+25.0%")
        );

        let officer = get_json(
            &supervisor,
            app.url(&format!(
                "/api/v1/stats?year=2025&scope=officer&scope_id={}",
                fx.officer_2
            )),
        )
        .await;
        // chen.ming: lead L2 against L6; case 2 against none.
        assert_eq!(fig(&officer["leads"]), f(1, 1, "0.0%"));
        assert_eq!(fig(&officer["cases_handled"]), f(1, 0, "new"));
        assert_eq!(fig(&officer["cases_refused"]), f(1, 0, "new"));
        assert_eq!(officer["green_channel_median_hours"]["current_tenths"], 480);
        app
    })
    .await;
}

#[tokio::test]
async fn quarters_months_and_ranges_split_at_china_midnight() {
    on_both(|app| async move {
        app.load_demo().await;
        let fx = fixture(&app).await;
        let supervisor = app.client_for("zhang.jian").await;
        let village = |query: &str| {
            app.url(&format!(
                "/api/v1/stats?{query}&scope=village&scope_id={}",
                fx.village_a
            ))
        };
        let q4 = get_json(&supervisor, village("year=2025&quarter=4")).await;
        assert_eq!(q4["period"]["from"], "2025-10-01");
        assert_eq!(fig(&q4["cases_handled"]), f(1, 0, "new"));
        assert_eq!(fig(&q4["cases_refused"]), f(1, 0, "new"));
        let december = get_json(&supervisor, village("year=2025&month=12")).await;
        assert_eq!(fig(&december["cases_handled"]), f(1, 0, "new"));
        let march = get_json(&supervisor, village("year=2025&month=3")).await;
        assert_eq!(fig(&march["cases_handled"]), f(1, 0, "new"));
        assert_eq!(fig(&march["money_paid_fen"]), f(300_000, 0, "new"));
        // New Year's Day 2026 holds case 4 (00:30) and its approval.
        let new_year = get_json(&supervisor, village("from=2026-01-01&to=2026-01-01")).await;
        assert_eq!(new_year["previous_period"]["from"], "2025-01-01");
        assert_eq!(fig(&new_year["cases_handled"]), f(1, 0, "new"));
        assert_eq!(fig(&new_year["cases_granted"]), f(1, 0, "new"));
        let eve = get_json(&supervisor, village("from=2025-12-31&to=2025-12-31")).await;
        assert_eq!(fig(&eve["cases_handled"]), f(1, 0, "new"));
        assert_eq!(fig(&eve["cases_granted"]), f(0, 0, "0.0%"));
        app
    })
    .await;
}

#[tokio::test]
async fn officers_see_only_their_own_figures_and_others_none() {
    on_both(|app| async move {
        app.load_demo().await;
        let fx = fixture(&app).await;
        let officer = app.client_for("chen.ming").await;
        let own = get_json(&officer, app.url("/api/v1/stats?year=2025")).await;
        assert_eq!(own["scope"]["kind"], "officer");
        assert_eq!(own["scope"]["id"], fx.officer_2);
        assert_eq!(fig(&own["cases_handled"]), f(1, 0, "new"));
        let county = get(&officer, app.url("/api/v1/stats?year=2025&scope=county")).await;
        assert_error(county, StatusCode::FORBIDDEN, "forbidden").await;
        let other = get(
            &officer,
            app.url("/api/v1/stats?year=2025&scope=officer&scope_id=1"),
        )
        .await;
        assert_error(other, StatusCode::FORBIDDEN, "forbidden").await;
        for username in ["admin", "vc.xiaodian"] {
            let client = app.client_for(username).await;
            let response = get(&client, app.url("/api/v1/stats?year=2025")).await;
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let anonymous = get(&app.client(), app.url("/api/v1/stats?year=2025")).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        app
    })
    .await;
}

#[tokio::test]
async fn bad_periods_and_scopes_are_refused() {
    on_both(|app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        for query in [
            "",
            "year=2025&quarter=5",
            "year=2025&month=13",
            "year=2025&quarter=1&month=1",
            "from=2025-02-30&to=2025-03-01",
            "from=2025-03-01&to=2025-02-01",
        ] {
            let response = get(&supervisor, app.url(&format!("/api/v1/stats?{query}"))).await;
            assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_period").await;
        }
        let response = get(
            &supervisor,
            app.url("/api/v1/stats?year=2025&scope=village"),
        )
        .await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_scope_id",
        )
        .await;
        let response = get(
            &supervisor,
            app.url("/api/v1/stats?year=2025&scope=planet&scope_id=1"),
        )
        .await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_scope").await;
        let response = get(
            &supervisor,
            app.url("/api/v1/stats?year=2025&scope=village&scope_id=987654"),
        )
        .await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unknown_scope").await;
        app
    })
    .await;
}

async fn download(client: &reqwest::Client, url: String) -> (String, Vec<u8>) {
    let response = get(client, url).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    (content_type, response.bytes().await.unwrap().to_vec())
}

pub(crate) fn sheet(bytes: Vec<u8>) -> calamine::Range<Data> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("an XLSX file");
    let name = book.sheet_names()[0].clone();
    book.worksheet_range(&name).expect("the sheet")
}

pub(crate) fn text(range: &calamine::Range<Data>, row: usize, col: usize) -> String {
    range
        .get((row, col))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_statistics_download_as_xlsx_and_csv_with_chinese_headings() {
    on_both(|app| async move {
        app.load_demo().await;
        fixture(&app).await;
        let supervisor = app.client_for("zhang.jian").await;
        let (content_type, bytes) =
            download(&supervisor, app.url("/api/v1/stats/export.xlsx?year=2025")).await;
        assert!(
            content_type.starts_with("application/vnd.openxmlformats"),
            "{content_type}"
        );
        let range = sheet(bytes);
        let headings: Vec<String> = (0..5).map(|c| text(&range, 0, c)).collect();
        assert_eq!(headings, ["类别", "项目", "本期", "去年同期", "同比"]);
        let row = (1..range.height())
            .find(|r| text(&range, *r, 1) == "受理案件")
            .expect("the cases row");
        assert_eq!(range.get((row, 2)), Some(&Data::Float(3.0)));
        assert_eq!(range.get((row, 3)), Some(&Data::Float(1.0)));
        assert_eq!(text(&range, row, 4), "+200.0%");
        let paid = (1..range.height())
            .find(|r| text(&range, *r, 1) == "发放金额（元）")
            .expect("the money row");
        assert_eq!(range.get((paid, 2)), Some(&Data::Float(5000.0)));
        let refused = (1..range.height())
            .find(|r| text(&range, *r, 1) == "不予救助")
            .expect("the refusals row");
        assert_eq!(text(&range, refused, 4), "新增");

        let (content_type, bytes) = download(
            &supervisor,
            app.url("/api/v1/stats/export.csv?year=2025&lang=en"),
        )
        .await;
        assert!(content_type.starts_with("text/csv"));
        let csv = String::from_utf8(bytes).unwrap();
        assert!(
            csv.starts_with("\u{feff}Section,Item,This period,A year earlier,Change\r\n"),
            "{csv}"
        );
        assert!(
            csv.contains("Summary,Cases accepted,3,1,+200.0%\r\n"),
            "{csv}"
        );

        let officer = app.client_for("chen.ming").await;
        let response = get(
            &officer,
            app.url("/api/v1/stats/export.csv?year=2025&scope=county"),
        )
        .await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        app
    })
    .await;
}

#[tokio::test]
async fn the_case_list_downloads_with_the_list_filters_and_people_masked() {
    on_both(|app| async move {
        app.load_demo().await;
        let fx = fixture(&app).await;
        let supervisor = app.client_for("zhang.jian").await;
        let query = format!("year=2025&village_id={}", fx.village_a);
        let (_, bytes) = download(
            &supervisor,
            app.url(&format!("/api/v1/cases/export.xlsx?{query}")),
        )
        .await;
        let range = sheet(bytes);
        assert_eq!(text(&range, 0, 0), "案件编号");
        assert_eq!(text(&range, 0, 4), "身份证号码");
        // Cases 1 and 3 of village A were accepted in 2025 (case 4 in 2026).
        assert_eq!(range.height(), 3);
        assert_eq!(text(&range, 1, 0), "T-1");
        assert_eq!(text(&range, 2, 0), "T-3");
        assert_eq!(text(&range, 1, 3), "统**1");
        assert_eq!(text(&range, 1, 4), "1101**********0012");
        assert_eq!(text(&range, 1, 5), "138****5678");
        assert_eq!(text(&range, 1, 6), "统计乡");
        assert_eq!(text(&range, 1, 9), "12309热线");
        assert_eq!(text(&range, 1, 10), "未成年人、建档立卡/监测户");
        assert_eq!(text(&range, 1, 11), "是");

        let (_, bytes) = download(
            &supervisor,
            app.url(&format!("/api/v1/cases/export.csv?{query}")),
        )
        .await;
        let csv = String::from_utf8(bytes).unwrap();
        assert_eq!(csv.lines().count(), 3, "{csv}");
        assert!(csv.contains("1101**********0012") && csv.contains("138****5678"));
        assert!(!csv.contains(FULL_ID) && !csv.contains(FULL_PHONE) && !csv.contains("统计人1"));

        let response = get(
            &supervisor,
            app.url("/api/v1/cases/export.csv?state=nonsense"),
        )
        .await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_state").await;
        let admin = app.client_for("admin").await;
        let response = get(&admin, app.url("/api/v1/cases/export.xlsx")).await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        app
    })
    .await;
}

#[tokio::test]
async fn generated_volume_data_fills_every_figure_and_exports_across_pages() {
    // The list counts exactly past the default cap of 1,000.
    let config = server::config::AppConfig {
        case_list_count_cap: 10_000,
        ..server::config::AppConfig::default()
    };
    on_both_with(config, |app| async move {
        app.load_demo().await;
        server::service::volume::generate(&app.db, &server::config::AppConfig::default(), 4_500, 3)
            .await
            .expect("generates");
        let supervisor = app.client_for("zhang.jian").await;
        let total = get_json(&supervisor, app.url("/api/v1/cases?per_page=1")).await["total"]
            .as_i64()
            .unwrap();
        let (_, bytes) = download(&supervisor, app.url("/api/v1/cases/export.csv")).await;
        let csv = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(csv.lines().count() as i64, total + 1, "a heading and every case");
        // Compressed on the way, as browsers and most clients ask: the stream must
        // end cleanly (it once broke off: the compressor polls an ended stream again).
        let response = supervisor
            .get(app.url("/api/v1/cases/export.csv"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let gzipped = response.bytes().await.expect("the whole compressed body");
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut unzipped)
            .expect("a complete gzip stream");
        assert_eq!(unzipped, bytes, "the same file, compressed");
        let (_, bytes) = download(&supervisor, app.url("/api/v1/cases/export.xlsx")).await;
        assert_eq!(sheet(bytes).height() as i64, total + 1);

        // Last year is complete in the generated data: every kind of figure has something.
        let last_year = domain::date::china_date(server::storage::now_ms()).0 - 1;
        let s = get_json(&supervisor, app.url(&format!("/api/v1/stats?year={last_year}"))).await;
        for figure in ["leads", "cases_handled", "cases_granted", "money_approved_fen", "money_paid_fen",
                       "people_aided", "green_channel_cases", "follow_ups_due", "follow_ups_on_time"] {
            assert!(s[figure]["current"].as_i64().unwrap() > 0, "{figure} in {s}");
            assert!(s[figure]["previous"].as_i64().unwrap() > 0, "{figure} a year earlier");
        }
        assert!(s["green_channel_median_hours"]["current_tenths"].as_i64().unwrap() > 0);
        let referred: i64 = s["referrals"].as_array().unwrap().iter()
            .map(|a| a["total"]["current"].as_i64().unwrap()).sum();
        assert!(referred > 0);
        // The generated ledgers add up: each plan's paid sum is its payments'.
        let unbalanced = scalar(&app.db, "SELECT COUNT(*) FROM money_plans mp WHERE mp.paid_fen <> \
            (SELECT COALESCE(SUM(p.amount_fen), 0) FROM money_payments p WHERE p.case_id = mp.case_id)").await;
        assert_eq!(unbalanced, 0);
        app
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_and_the_bulletin_render_on_the_server() {
    on_both(|app| async move {
        app.load_demo().await;
        fixture(&app).await;
        let supervisor = app.client_for("zhang.jian").await;
        let page = get(&supervisor, app.url("/stats?year=2025")).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("data-testid=\"figure-cases-handled\""),
            "{html}"
        );
        assert!(html.contains("+200.0%"));
        // The chart's text alternative (the erased views end a dynamic text
        // with a `<!>` marker, so only its start is fixed).
        assert!(html.contains("<svg") && html.contains("<title>线索来源"));
        assert!(html.contains("/api/v1/stats/export.xlsx?year=2025"));
        let bulletin = get(&supervisor, app.url("/stats/bulletin?year=2025")).await;
        let html = bulletin.text().await.unwrap();
        assert!(html.contains("2025年度国家司法救助工作统计公报"), "{html}");
        assert!(html.contains("全县受理国家司法救助案件3件"));
        app
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_lists_the_statistics_and_export_routes() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let doc = get_json(&app.client(), app.url("/api/v1/openapi.json")).await;
    for path in [
        "/api/v1/stats",
        "/api/v1/stats/export.csv",
        "/api/v1/stats/export.xlsx",
        "/api/v1/cases/export.csv",
        "/api/v1/cases/export.xlsx",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} in the OpenAPI document"
        );
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/stats"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in [
        "year", "quarter", "month", "from", "to", "scope", "scope_id",
    ] {
        assert!(params.contains(&name), "{name} in {params:?}");
    }
    app.shutdown().await;
}
