//! The permission matrix: every endpoint of the OpenAPI document × every role,
//! inside and outside the role's own scope, walked over real HTTP on both
//! databases against the table in `permissions.md`.
//!
//! The table's rows are the requests (one per endpoint, with the body named in
//! its last column); its columns are the actors:
//!
//! - `officer` is wang.fang, who owns every resource the test makes;
//!   `officer other` is chen.ming, another officer;
//! - `village` is 小甸村's committee, where the supervised child lives;
//!   `village other` is 正阳村's;
//! - `partner` is 县教育局, to which the referrals go; `partner other` is 县民政局;
//! - supervisors and the admin act county-wide, so they have one column each.
//!
//! A cell holds the status expected. Refusals (4xx) are exact. A success may
//! turn into 409 once an earlier actor of the same row has already made the
//! change (an installment is paid once), but every row that expects a success
//! must see one, so a broken request cannot hide behind conflicts.
//!
//! An endpoint in the OpenAPI document without a row, or a row without an
//! endpoint, fails the test: a new endpoint must say who may call it.
//!
//! The second table, "Full details visible", says for every request whose
//! answer names people what each actor's answer shows: `FULL` (a name, ID
//! number or phone in the clear), `MASKED` (only masked ones, 张*明,
//! 3404**********1234, 139****5678) or `—` (none: refused, or nothing about a
//! person). The test reads it off the bodies: every name, ID number and phone
//! in the database at the end (people and screening flags) in full, and their
//! masked forms. An answer that shows any of them from a request without a row
//! there fails the test, so a new endpoint that returns personal data must
//! say who sees it how.

use std::collections::{BTreeMap, BTreeSet};

use domain::case::{mask_name, mask_phone};
use domain::idcard::mask_id_number;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use server::storage::Db;

use crate::helpers::{get_json, json_body, on_both, post, today_in_china, TestApp};
use crate::money::{approved_minor_case, installment_id, pay_body, supervised_plan, upload};
use crate::referrals::{agency_id, consent_body, referral_body};
use crate::screening::{by_case, flags, sample_csv, upload_ok};
use crate::visits::{jpeg, put_file, put_visit, uuid, visit_body};

const TABLE: &str = include_str!("permissions.md");

/// The table's actor columns, in order, with the account each stands for.
const ACTORS: &[(&str, Option<&str>)] = &[
    ("anonymous", None),
    ("officer", Some("wang.fang")),
    ("officer other", Some("chen.ming")),
    ("supervisor", Some("zhang.jian")),
    ("village", Some("vc.xiaodian")),
    ("village other", Some("vc.zhengyang")),
    ("partner", Some("edu.bureau")),
    ("partner other", Some("civil.affairs")),
    ("admin", Some("admin")),
];

struct Row {
    method: Method,
    path: String,
    expected: Vec<u16>,
}

/// The heading of the second table in `permissions.md`.
const DETAILS_HEADING: &str = "## Full details visible";

fn status_table() -> &'static str {
    TABLE.split(DETAILS_HEADING).next().unwrap_or(TABLE)
}

fn parse_table() -> Vec<Row> {
    let mut lines = status_table().lines().filter(|l| l.starts_with('|'));
    let header: Vec<&str> = cells(lines.next().expect("a header row"));
    let expected_header: Vec<&str> = std::iter::once("request")
        .chain(ACTORS.iter().map(|(name, _)| *name))
        .chain(std::iter::once("body"))
        .collect();
    assert_eq!(header, expected_header, "the table's columns");
    lines
        .skip(1) // the |---| line
        .map(|line| {
            let cells = cells(line);
            assert_eq!(cells.len(), ACTORS.len() + 2, "cells in {line}");
            let (method, path) = cells[0]
                .split_once(' ')
                .unwrap_or_else(|| panic!("METHOD /path in {line}"));
            Row {
                method: method.parse().expect("an HTTP method"),
                path: path.trim_matches('`').to_string(),
                expected: cells[1..=ACTORS.len()]
                    .iter()
                    .map(|c| c.parse().unwrap_or_else(|_| panic!("status {c} in {line}")))
                    .collect(),
            }
        })
        .collect()
}

/// What an answer shows of people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Full,
    Masked,
    Nothing,
}

impl Shown {
    fn parse(cell: &str) -> Option<Shown> {
        match cell {
            "FULL" => Some(Shown::Full),
            "MASKED" => Some(Shown::Masked),
            "—" => Some(Shown::Nothing),
            _ => None,
        }
    }

    fn cell(self) -> &'static str {
        match self {
            Shown::Full => "FULL",
            Shown::Masked => "MASKED",
            Shown::Nothing => "—",
        }
    }
}

/// The "Full details visible" table: (method, path) → what each actor sees.
fn parse_details_table() -> BTreeMap<(String, String), Vec<Shown>> {
    let (_, text) = TABLE
        .split_once(DETAILS_HEADING)
        .expect("permissions.md has the table \"Full details visible\"");
    let mut lines = text.lines().filter(|l| l.starts_with('|'));
    let header: Vec<&str> = cells(lines.next().expect("a header row"));
    let expected_header: Vec<&str> = std::iter::once("request")
        .chain(ACTORS.iter().map(|(name, _)| *name))
        .collect();
    assert_eq!(header, expected_header, "the details table's columns");
    let mut rows = BTreeMap::new();
    for line in lines.skip(1) {
        let cells = cells(line);
        assert_eq!(cells.len(), ACTORS.len() + 1, "cells in {line}");
        let (method, path) = cells[0]
            .split_once(' ')
            .unwrap_or_else(|| panic!("METHOD /path in {line}"));
        let shown = cells[1..]
            .iter()
            .map(|c| Shown::parse(c).unwrap_or_else(|| panic!("FULL, MASKED or — in {line}")))
            .collect();
        let key = (method.to_string(), path.trim_matches('`').to_string());
        assert!(
            rows.insert(key, shown).is_none(),
            "one details row per request: {line}"
        );
    }
    rows
}

/// Every person's name, ID number and phone in the database, in full and
/// masked. Names that are part of an account's display name (王芳 in 王芳's
/// answers) or shorter than two characters are left out: they would be seen
/// where no person is.
struct Fixtures {
    full: Vec<String>,
    masked: Vec<String>,
}

async fn fixtures(app: &TestApp) -> Fixtures {
    type PersonTexts = (String, Option<String>, Option<String>);
    let people_sql = "SELECT name, id_number, phone FROM people \
                      UNION ALL SELECT name, id_number, phone FROM screening_flags";
    let users_sql = "SELECT display_name FROM users UNION ALL SELECT name FROM villages \
                     UNION ALL SELECT name FROM agencies";
    let (people, others): (Vec<PersonTexts>, Vec<String>) = match &app.db {
        Db::Sqlite(pool) => (
            sqlx::query_as(people_sql).fetch_all(pool).await.unwrap(),
            sqlx::query_scalar(users_sql).fetch_all(pool).await.unwrap(),
        ),
        Db::Postgres(pool) => (
            sqlx::query_as(people_sql).fetch_all(pool).await.unwrap(),
            sqlx::query_scalar(users_sql).fetch_all(pool).await.unwrap(),
        ),
    };
    let mut full = BTreeSet::new();
    let mut masked = BTreeSet::new();
    for (name, id_number, phone) in people {
        let name = name.trim().to_string();
        if name.chars().count() >= 2 && !others.iter().any(|o| o.contains(&name)) {
            masked.insert(mask_name(&name));
            full.insert(name);
        }
        if let Some(n) = id_number.filter(|n| n.len() >= 15) {
            masked.insert(mask_id_number(&n));
            full.insert(n);
        }
        if let Some(p) = phone.filter(|p| p.len() >= 7) {
            masked.insert(mask_phone(&p));
            full.insert(p);
        }
    }
    Fixtures {
        full: full.into_iter().collect(),
        masked: masked.into_iter().collect(),
    }
}

impl Fixtures {
    fn shown(&self, body: &str) -> Shown {
        self.found(body).0
    }

    /// What the body shows, and the first fixture string that says so.
    fn found(&self, body: &str) -> (Shown, Option<&str>) {
        if let Some(t) = self.full.iter().find(|t| body.contains(t.as_str())) {
            (Shown::Full, Some(t))
        } else if let Some(t) = self.masked.iter().find(|t| body.contains(t.as_str())) {
            (Shown::Masked, Some(t))
        } else {
            (Shown::Nothing, None)
        }
    }
}

fn cells(line: &str) -> Vec<&str> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

/// What the test made, all of it wang.fang's, in 小甸村, referred to 县教育局.
struct World {
    village: i64,
    lead_open: i64,
    lead_to_accept: i64,
    lead_to_decline: i64,
    /// Accepted, not yet under investigation.
    case_new: i64,
    case_green_confirm: i64,
    case_green_decline: i64,
    /// Approved, no plan yet.
    case_approved: i64,
    /// Paying under supervision: the first installment paid.
    case_paying: i64,
    case_paying_agent: i64,
    installment_to_release: i64,
    payment: i64,
    document: i64,
    /// Fresh scans for recording the agreement and pledge again.
    agreement_scan: i64,
    pledge_scan: i64,
    /// An approved case with one unsupervised payment due.
    installment_unsupervised: i64,
    spending_to_confirm: i64,
    spending_to_query: i64,
    spending_queried: i64,
    visit: String,
    visit_file: String,
    person: i64,
    agency_edu: i64,
    referral_sent: i64,
    referral_to_decline: i64,
    referral_to_withdraw: i64,
    referral_accepted: i64,
    referral_in_progress: i64,
    import_needing_mapping: i64,
    flag_to_lead: i64,
    flag_to_dismiss: i64,
    user_spare: i64,
    /// An open conflict between two edits of the case's facts.
    fact_conflict: i64,
}

async fn new_lead(app: &TestApp, officer: &Client, name: &str, village: i64) -> i64 {
    let response = post(
        officer,
        app.url("/api/v1/leads"),
        json!({
            "channel": "letters_visits",
            "received_on": today_in_china(),
            "reporter": "被害人本人",
            "summary": "被害人受伤，家庭困难。",
            "people": [{ "name": name, "village_id": village, "phone": "13912345678", "priority_groups": ["minor"] }],
            "confirm_duplicate": true
        }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json_body(response).await["id"].as_i64().unwrap()
}

async fn accept(app: &TestApp, officer: &Client, lead: i64, green_channel: bool) -> Value {
    let response = post(
        officer,
        app.url(&format!("/api/v1/leads/{lead}/accept")),
        json!({ "green_channel": green_channel }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json_body(response).await
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body = json_body(response).await;
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn referral(app: &TestApp, officer: &Client, case: i64, person: i64, agency: i64) -> i64 {
    let response = post(
        officer,
        app.url(&format!("/api/v1/cases/{case}/referrals")),
        referral_body(person, agency, "education_support"),
    )
    .await;
    ok(response).await["id"].as_i64().unwrap()
}

async fn build_world(app: &TestApp) -> World {
    let officer = app.client_for("wang.fang").await;
    let supervisor = app.client_for("zhang.jian").await;
    let committee = app.client_for("vc.xiaodian").await;
    let partner = app.client_for("edu.bureau").await;
    let admin = app.client_for("admin").await;
    let villages = get_json(&officer, app.url("/api/v1/villages")).await;
    let xiaodian = villages
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "小甸村")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    let lead_open = new_lead(app, &officer, "林一", xiaodian).await;
    let lead_to_accept = new_lead(app, &officer, "林二", xiaodian).await;
    let lead_to_decline = new_lead(app, &officer, "林三", xiaodian).await;
    let lead = new_lead(app, &officer, "林四", xiaodian).await;
    let case = accept(app, &officer, lead, false).await;
    let case_new = case["id"].as_i64().unwrap();
    let person = case["applicant"]["id"].as_i64().unwrap();
    let mut green = Vec::new();
    for name in ["林五", "林六"] {
        let lead = new_lead(app, &officer, name, xiaodian).await;
        green.push(
            accept(app, &officer, lead, true).await["id"]
                .as_i64()
                .unwrap(),
        );
    }

    let approved = approved_minor_case(app, "小甸村", 901, 30_000, true).await;
    let paying = approved_minor_case(app, "小甸村", 902, 30_000, true).await;
    let view = supervised_plan(app, &officer, &paying, 10_000).await;
    let first = installment_id(&view, 0);
    let paid = ok(post(
        &officer,
        app.url(&format!("/api/v1/money/installments/{first}/pay")),
        pay_body(),
    )
    .await)
    .await;
    let payment = paid["plan"]["installments"][0]["payment"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a payment id in {paid}"));
    let document = ok(upload(app, &officer, paying.case_id, "agreement").await).await["id"]
        .as_i64()
        .unwrap();
    let agreement_scan = ok(upload(app, &officer, paying.case_id, "agreement").await).await["id"]
        .as_i64()
        .unwrap();
    let pledge_scan = ok(upload(app, &officer, paying.case_id, "pledge").await).await["id"]
        .as_i64()
        .unwrap();
    let unsupervised = approved_minor_case(app, "小甸村", 903, 30_000, true).await;
    let plan = ok(post(
        &officer,
        app.url(&format!("/api/v1/cases/{}/money/plan", unsupervised.case_id)),
        json!({ "kind": "single", "supervised": false, "installments": [{ "due_on": today_in_china(), "amount_fen": 30_000 }] }),
    )
    .await)
    .await;
    let mut spending = Vec::new();
    for purpose in ["school", "medical", "living"] {
        let response = post(
            &officer,
            app.url(&format!("/api/v1/cases/{}/money/spending", paying.case_id)),
            json!({ "amount_fen": 1_000, "purpose": purpose, "spent_on": today_in_china() }),
        )
        .await;
        let view = ok(response).await;
        let records = view["spending"].as_array().unwrap();
        spending.push(records.last().unwrap()["id"].as_i64().unwrap());
    }
    ok(post(
        &committee,
        app.url(&format!("/api/v1/money/spending/{}/query", spending[2])),
        json!({ "text": "请补充票据" }),
    )
    .await)
    .await;

    let visit = uuid();
    ok(put_visit(app, &officer, case_new, &visit, &visit_body("home_visit")).await).await;
    let visit_file = uuid();
    ok(put_file(app, &officer, &visit, &visit_file, "photo", jpeg(1)).await).await;

    let mut conflicts = Value::Null;
    for needs in ["学费", "医疗费"] {
        let response = officer
            .put(app.url(&format!("/api/v1/cases/{case_new}/facts/{}", uuid())))
            .json(&json!({ "base": {}, "changes": { "needs": needs } }))
            .send()
            .await
            .unwrap();
        conflicts = ok(response).await["conflicts"].clone();
    }
    let fact_conflict = conflicts[0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a conflict in {conflicts}"));

    let agency_edu = agency_id(app, &officer, "县教育局").await;
    ok(post(
        &officer,
        app.url(&format!("/api/v1/cases/{case_new}/consents")),
        consent_body(person),
    )
    .await)
    .await;
    let mut referrals = Vec::new();
    for _ in 0..5 {
        referrals.push(referral(app, &officer, case_new, person, agency_edu).await);
    }
    for (referral, steps) in [(referrals[3], 1), (referrals[4], 2)] {
        let actions = ["accept", "progress"];
        for action in &actions[..steps] {
            ok(post(
                &partner,
                app.url(&format!("/api/v1/referrals/{referral}/{action}")),
                json!({ "text": "已安排" }),
            )
            .await)
            .await;
        }
    }

    upload_ok(app, &officer, "a.csv", sample_csv().into_bytes()).await;
    let open = flags(app, &officer, "open").await;
    let flag_to_lead = by_case(&open, "寿公刑〔2026〕102号")["id"]
        .as_i64()
        .unwrap();
    let flag_to_dismiss = by_case(&open, "寿公刑〔2026〕107号")["id"]
        .as_i64()
        .unwrap();
    let unknown = upload_ok(
        app,
        &officer,
        "b.csv",
        "编码,当事人,证件\n寿公刑〔2026〕201号,林七,\n"
            .as_bytes()
            .to_vec(),
    )
    .await;
    let import_needing_mapping = unknown["import"]["id"].as_i64().unwrap();

    let user = ok(post(
        &admin,
        app.url("/api/v1/users"),
        json!({ "username": "spare.officer", "display_name": "备用", "role": "officer", "password": "spare-password-123" }),
    )
    .await)
    .await;
    drop(supervisor);

    World {
        village: xiaodian,
        lead_open,
        lead_to_accept,
        lead_to_decline,
        case_new,
        case_green_confirm: green[0],
        case_green_decline: green[1],
        case_approved: approved.case_id,
        case_paying: paying.case_id,
        case_paying_agent: paying.agent_id,
        installment_to_release: installment_id(&view, 2),
        payment,
        document,
        agreement_scan,
        pledge_scan,
        installment_unsupervised: installment_id(&plan, 0),
        spending_to_confirm: spending[0],
        spending_to_query: spending[1],
        spending_queried: spending[2],
        visit,
        visit_file,
        person,
        agency_edu,
        referral_sent: referrals[0],
        referral_to_decline: referrals[1],
        referral_to_withdraw: referrals[2],
        referral_accepted: referrals[3],
        referral_in_progress: referrals[4],
        import_needing_mapping,
        flag_to_lead,
        flag_to_dismiss,
        user_spare: user["id"].as_i64().unwrap(),
        fact_conflict,
    }
}

enum Body {
    None,
    Json(Value),
    Bytes(&'static str, Vec<u8>),
}

/// The concrete request for one row. `serial` makes bodies that must be
/// unique (usernames, visit ids) differ from one actor to the next.
fn request_for(method: &Method, path: &str, w: &World, serial: usize) -> (String, Body) {
    let text = || Body::Json(json!({ "text": "权限矩阵测试" }));
    let today = today_in_china();
    let (url, body) = match (method.as_str(), path) {
        ("GET", "/healthz") | ("GET", "/readyz") => (path.to_string(), Body::None),
        ("POST", "/api/v1/auth/login") => (
            path.to_string(),
            Body::Json(json!({ "username": "wang.fang", "password": crate::helpers::DEMO_PASSWORD })),
        ),
        ("POST", "/api/v1/auth/logout") | ("GET", "/api/v1/auth/me") => {
            (path.to_string(), Body::None)
        }
        ("GET", "/api/v1/users")
        | ("GET", "/api/v1/villages")
        | ("GET", "/api/v1/agencies")
        | ("GET", "/api/v1/cases")
        | ("GET", "/api/v1/leads")
        | ("GET", "/api/v1/officers")
        | ("GET", "/api/v1/case-years")
        | ("GET", "/api/v1/follow-ups")
        | ("GET", "/api/v1/referrals")
        | ("GET", "/api/v1/money/supervised")
        | ("GET", "/api/v1/screening/flags")
        | ("GET", "/api/v1/screening/mapping") => (path.to_string(), Body::None),
        ("POST", "/api/v1/users") => (
            path.to_string(),
            Body::Json(json!({
                "username": format!("matrix.{serial}"), "display_name": "矩阵", "role": "officer",
                "password": "matrix-password-123"
            })),
        ),
        ("POST", "/api/v1/users/{id}/disable")
        | ("POST", "/api/v1/users/{id}/enable") => {
            (path.replace("{id}", &w.user_spare.to_string()), Body::None)
        }
        ("POST", "/api/v1/users/{id}/password") => (
            path.replace("{id}", &w.user_spare.to_string()),
            Body::Json(json!({ "password": "another-password-456" })),
        ),
        ("POST", "/api/v1/agencies") => (
            path.to_string(),
            Body::Json(json!({ "name": format!("矩阵机构{serial}"), "kind": "other", "services": ["counselling"] })),
        ),
        ("PUT", "/api/v1/agencies/{id}/services") => (
            path.replace("{id}", &w.agency_edu.to_string()),
            Body::Json(json!({ "services": ["education_support", "counselling"] })),
        ),
        ("GET", "/api/v1/audit/{entity_type}/{entity_id}") => (
            format!("/api/v1/audit/case/{}", w.case_new),
            Body::None,
        ),
        ("POST", "/api/v1/leads") => (
            path.to_string(),
            Body::Json(json!({
                "channel": "outreach", "received_on": today, "reporter": "群众",
                "summary": "宣传活动中反映。",
                "people": [{ "name": format!("矩阵{serial}"), "village_id": w.village }],
                "confirm_duplicate": true
            })),
        ),
        ("GET", "/api/v1/leads/{id}") => (path.replace("{id}", &w.lead_open.to_string()), Body::None),
        ("POST", "/api/v1/leads/{id}/accept") => (
            path.replace("{id}", &w.lead_to_accept.to_string()),
            Body::Json(json!({})),
        ),
        ("POST", "/api/v1/leads/{id}/decline") => (
            path.replace("{id}", &w.lead_to_decline.to_string()),
            Body::Json(json!({ "reason": "不属于救助范围" })),
        ),
        ("GET", "/api/v1/cases/{id}")
        | ("GET", "/api/v1/cases/{id}/visits")
        | ("GET", "/api/v1/cases/{id}/referrals")
        | ("GET", "/api/v1/cases/{id}/print")
        | ("GET", "/api/v1/cases/{id}/reads") => {
            (path.replace("{id}", &w.case_new.to_string()), Body::None)
        }
        ("GET", "/api/v1/access-grants") => (path.to_string(), Body::None),
        ("POST", "/api/v1/disclosures") => (
            path.to_string(),
            Body::Json(json!({ "purpose": "权限矩阵测试：报送民政局核对名单", "what": "export" })),
        ),
        ("POST", "/api/v1/cases/{id}/access") => (
            path.replace("{id}", &w.case_new.to_string()),
            Body::Json(json!({ "reason": "权限矩阵测试：代班回访需要查阅" })),
        ),
        ("POST", "/api/v1/cases/{id}/disclosures") => (
            path.replace("{id}", &w.case_new.to_string()),
            Body::Json(json!({ "purpose": "权限矩阵测试：报送民政局办理低保" })),
        ),
        ("POST", "/api/v1/cases/{id}/transitions") => (
            path.replace("{id}", &w.case_new.to_string()),
            Body::Json(json!({ "action": "start_investigation" })),
        ),
        ("POST", "/api/v1/cases/{id}/green-channel/confirm") => (
            path.replace("{id}", &w.case_green_confirm.to_string()),
            Body::None,
        ),
        ("POST", "/api/v1/cases/{id}/green-channel/decline") => (
            path.replace("{id}", &w.case_green_decline.to_string()),
            Body::Json(json!({ "reason": "不符合绿色通道条件" })),
        ),
        ("POST", "/api/v1/cases/{id}/consents") => (
            path.replace("{id}", &w.case_new.to_string()),
            Body::Json(consent_body(w.person)),
        ),
        ("POST", "/api/v1/cases/{id}/referrals") => (
            path.replace("{id}", &w.case_new.to_string()),
            Body::Json(referral_body(w.person, w.agency_edu, "education_support")),
        ),
        ("PUT", "/api/v1/cases/{id}/visits/{visit_id}") => (
            path.replace("{id}", &w.case_new.to_string())
                .replace("{visit_id}", &uuid()),
            Body::Json(visit_body("neighbour_interview")),
        ),
        ("GET", "/api/v1/visits/{visit_id}") => (path.replace("{visit_id}", &w.visit), Body::None),
        ("GET", "/api/v1/visits/{visit_id}/files/{file_id}") => (
            path.replace("{visit_id}", &w.visit).replace("{file_id}", &w.visit_file),
            Body::None,
        ),
        ("PUT", "/api/v1/visits/{visit_id}/files/{file_id}") => (
            format!(
                "{}?kind=photo",
                path.replace("{visit_id}", &w.visit).replace("{file_id}", &uuid())
            ),
            Body::Bytes("image/jpeg", jpeg(serial as u8)),
        ),
        ("GET", "/api/v1/cases/{id}/money") => {
            (path.replace("{id}", &w.case_paying.to_string()), Body::None)
        }
        ("POST", "/api/v1/cases/{id}/money/plan") => (
            path.replace("{id}", &w.case_approved.to_string()),
            Body::Json(json!({ "kind": "single", "installments": [{ "due_on": today, "amount_fen": 30_000 }] })),
        ),
        ("POST", "/api/v1/cases/{id}/money/documents") => (
            format!("{}?kind=pledge", path.replace("{id}", &w.case_paying.to_string())),
            Body::Bytes("application/octet-stream", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR scan".to_vec()),
        ),
        ("POST", "/api/v1/cases/{id}/money/supervision") => (
            path.replace("{id}", &w.case_paying.to_string()),
            Body::Json(json!({
                "guardian_person_id": w.case_paying_agent, "agreement_signed_on": today,
                "pledge_signed_on": today, "agreement_document_ids": [w.agreement_scan],
                "pledge_document_ids": [w.pledge_scan]
            })),
        ),
        ("POST", "/api/v1/cases/{id}/money/spending") => (
            path.replace("{id}", &w.case_paying.to_string()),
            Body::Json(json!({ "amount_fen": 100, "purpose": "other", "spent_on": today })),
        ),
        ("GET", "/api/v1/money/documents/{id}") => {
            (path.replace("{id}", &w.document.to_string()), Body::None)
        }
        ("POST", "/api/v1/money/installments/{id}/pay") => (
            path.replace("{id}", &w.installment_unsupervised.to_string()),
            Body::Json(pay_body()),
        ),
        ("POST", "/api/v1/money/installments/{id}/release") => (
            path.replace("{id}", &w.installment_to_release.to_string()),
            text(),
        ),
        ("POST", "/api/v1/money/payments/{id}/checks") => (
            path.replace("{id}", &w.payment.to_string()),
            Body::Json(json!({ "checked_on": today, "spoke_with": "监护人", "said_received_fen": 10_000 })),
        ),
        ("POST", "/api/v1/money/spending/{id}/confirm") => (
            path.replace("{id}", &w.spending_to_confirm.to_string()),
            Body::None,
        ),
        ("POST", "/api/v1/money/spending/{id}/query") => {
            (path.replace("{id}", &w.spending_to_query.to_string()), text())
        }
        ("POST", "/api/v1/money/spending/{id}/answer") => {
            (path.replace("{id}", &w.spending_queried.to_string()), text())
        }
        ("GET", "/api/v1/referrals/{id}") => {
            (path.replace("{id}", &w.referral_sent.to_string()), Body::None)
        }
        ("POST", "/api/v1/referrals/{id}/accept") => (
            path.replace("{id}", &w.referral_sent.to_string()),
            Body::None,
        ),
        ("POST", "/api/v1/referrals/{id}/decline") => {
            (path.replace("{id}", &w.referral_to_decline.to_string()), text())
        }
        ("POST", "/api/v1/referrals/{id}/withdraw") => {
            (path.replace("{id}", &w.referral_to_withdraw.to_string()), text())
        }
        ("POST", "/api/v1/referrals/{id}/progress") => {
            (path.replace("{id}", &w.referral_accepted.to_string()), text())
        }
        ("POST", "/api/v1/referrals/{id}/complete") => {
            (path.replace("{id}", &w.referral_in_progress.to_string()), text())
        }
        ("POST", "/api/v1/screening/imports") => (
            format!("{path}?file_name=m{serial}.csv"),
            Body::Bytes("text/csv", sample_csv().into_bytes()),
        ),
        ("GET", "/api/v1/screening/imports/{id}") => (
            path.replace("{id}", &w.import_needing_mapping.to_string()),
            Body::None,
        ),
        ("POST", "/api/v1/screening/imports/{id}/mapping") => (
            path.replace("{id}", &w.import_needing_mapping.to_string()),
            Body::Json(json!({ "case_ref": "编码", "victim_name": "当事人", "id_number": "证件" })),
        ),
        ("POST", "/api/v1/screening/flags/{id}/lead") => (
            path.replace("{id}", &w.flag_to_lead.to_string()),
            Body::Json(json!({})),
        ),
        ("POST", "/api/v1/screening/flags/{id}/dismiss") => (
            path.replace("{id}", &w.flag_to_dismiss.to_string()),
            Body::Json(json!({ "reason": "已获赔偿" })),
        ),
        ("GET", "/api/v1/cases/{id}/facts") => {
            (path.replace("{id}", &w.case_new.to_string()), Body::None)
        }
        ("PUT", "/api/v1/cases/{id}/facts/{edit_id}") => (
            path.replace("{id}", &w.case_new.to_string())
                .replace("{edit_id}", &uuid()),
            Body::Json(json!({ "base": {}, "changes": { "hardship": format!("困难{serial}") } })),
        ),
        ("POST", "/api/v1/fact-conflicts/{id}/resolve") => (
            path.replace("{id}", &w.fact_conflict.to_string()),
            Body::Json(json!({ "choice": "mine" })),
        ),
        ("GET", "/api/v1/people/matches") => (
            format!("{path}?name={}&village_id={}", crate::helpers::urlencode("林一"), w.village),
            Body::None,
        ),
        ("GET", "/api/v1/stats")
        | ("GET", "/api/v1/stats/export.csv")
        | ("GET", "/api/v1/stats/export.xlsx") => {
            (format!("{path}?year={}", &today[..4]), Body::None)
        }
        ("GET", "/api/v1/cases/export.csv") | ("GET", "/api/v1/cases/export.xlsx") => {
            (format!("{path}?year={}", &today[..4]), Body::None)
        }
        _ => panic!("permissions.rs has no request for {method} {path}: add one, and a row to permissions.md"),
    };
    (url, body)
}

async fn send(
    app: &TestApp,
    client: &Client,
    method: &Method,
    url: &str,
    body: Body,
) -> (StatusCode, String) {
    let request = client.request(method.clone(), app.url(url));
    let request = match body {
        Body::None => request,
        Body::Json(value) => request.json(&value),
        Body::Bytes(content_type, bytes) => {
            request.header("content-type", content_type).body(bytes)
        }
    };
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let xlsx = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t.as_bytes().starts_with(b"application/vnd.openxmlformats"));
    let bytes = response.bytes().await.unwrap_or_default();
    let text = if xlsx && status.is_success() {
        xlsx_text(bytes.to_vec())
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (status, text)
}

/// Every cell of the first sheet, one line per row: what a spreadsheet shows.
fn xlsx_text(bytes: Vec<u8>) -> String {
    let range = crate::stats::sheet(bytes);
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every (method, path) the OpenAPI document declares.
async fn documented_endpoints(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc = get_json(&app.client(), app.url("/api/v1/openapi.json")).await;
    let mut endpoints = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                endpoints.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    endpoints
}

#[tokio::test]
async fn every_endpoint_answers_every_role_as_the_permission_table_says() {
    on_both(|app| async move {
        app.load_demo().await;
        let rows = parse_table();

        let documented = documented_endpoints(&app).await;
        let tabled: BTreeSet<(String, String)> = rows
            .iter()
            .map(|r| (r.method.to_string(), r.path.clone()))
            .collect();
        assert_eq!(tabled.len(), rows.len(), "each endpoint has one row");
        let missing: Vec<_> = documented.difference(&tabled).collect();
        let extra: Vec<_> = tabled.difference(&documented).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "permissions.md is out of date: endpoints without a row {missing:?}, rows without an endpoint {extra:?}"
        );

        let world = build_world(&app).await;
        let mut clients: BTreeMap<&str, Client> = BTreeMap::new();
        for (name, account) in ACTORS {
            let client = match account {
                Some(username) => app.client_for(username).await,
                None => app.client(),
            };
            clients.insert(name, client);
        }

        let mut mismatches = Vec::new();
        let mut observed_table = Vec::new();
        let mut answers: Vec<(String, String, Vec<String>)> = Vec::new();
        for row in &rows {
            // Refusals first: they must not depend on what an allowed call changed.
            let mut order: Vec<usize> = (0..ACTORS.len()).collect();
            order.sort_by_key(|&i| row.expected[i] < 400);
            let mut observed = vec![0u16; ACTORS.len()];
            let mut bodies = vec![String::new(); ACTORS.len()];
            let mut succeeded = false;
            for i in order {
                let (name, account) = ACTORS[i];
                // Logging in replaces the client's session and logging out ends
                // it: those two rows get a fresh session, not the shared client.
                let fresh;
                let client = match (row.path.as_str(), account) {
                    ("/api/v1/auth/logout", Some(username)) => {
                        fresh = app.client_for(username).await;
                        &fresh
                    }
                    ("/api/v1/auth/login", _) => {
                        fresh = app.client();
                        &fresh
                    }
                    _ => &clients[name],
                };
                let (url, body) = request_for(&row.method, &row.path, &world, i);
                let (status, text) = send(&app, client, &row.method, &url, body).await;
                let status = status.as_u16();
                observed[i] = status;
                bodies[i] = text;
                let expected = row.expected[i];
                let fine = status == expected
                    || (expected < 300 && status == 409 && succeeded);
                if (200..300).contains(&status) {
                    succeeded = true;
                }
                if !fine {
                    mismatches.push(format!(
                        "{} {} as {name}: expected {expected}, got {status}",
                        row.method, row.path
                    ));
                }
            }
            if row.expected.iter().any(|&s| s < 300) && !succeeded {
                mismatches.push(format!(
                    "{} {}: no actor succeeded; the test's request is broken",
                    row.method, row.path
                ));
            }
            observed_table.push(format!(
                "| {} {} | {} |",
                row.method,
                row.path,
                observed.iter().map(u16::to_string).collect::<Vec<_>>().join(" | ")
            ));
            answers.push((row.method.to_string(), row.path.clone(), bodies));
        }

        // What each answer showed of people, against the second table.
        let fixtures = fixtures(&app).await;
        let details = parse_details_table();
        for key in details.keys() {
            assert!(
                tabled.contains(key),
                "a details row without a row in the first table: {key:?}"
            );
        }
        let mut details_mismatches = Vec::new();
        let mut observed_details = Vec::new();
        for (method, path, bodies) in &answers {
            let shown: Vec<Shown> = bodies.iter().map(|b| fixtures.shown(b)).collect();
            let key = (method.clone(), path.clone());
            match details.get(&key) {
                Some(expected) => {
                    for (i, (seen, wanted)) in shown.iter().zip(expected).enumerate() {
                        if seen != wanted {
                            details_mismatches.push(format!(
                                "{method} {path} as {}: expected {}, the answer shows {}",
                                ACTORS[i].0,
                                wanted.cell(),
                                seen.cell()
                            ));
                        }
                    }
                    if shown.iter().all(|s| *s == Shown::Nothing) {
                        details_mismatches.push(format!(
                            "{method} {path}: no answer shows a person; drop its details row"
                        ));
                    }
                }
                None => {
                    if let Some(i) = shown.iter().position(|s| *s != Shown::Nothing) {
                        details_mismatches.push(format!(
                            "{method} {path} returns personal data ({} to {}: {:?}) without a row in \"Full details visible\"",
                            shown[i].cell(),
                            ACTORS[i].0,
                            fixtures.found(&bodies[i]).1.unwrap_or_default()
                        ));
                    }
                }
            }
            if shown.iter().any(|s| *s != Shown::Nothing) {
                observed_details.push(format!(
                    "| {method} `{path}` | {} |",
                    shown.iter().map(|s| s.cell()).collect::<Vec<_>>().join(" | ")
                ));
            }
        }
        assert!(
            mismatches.is_empty(),
            "{} cells differ from permissions.md:\n{}\n\nobserved:\n{}",
            mismatches.len(),
            mismatches.join("\n"),
            observed_table.join("\n")
        );
        assert!(
            details_mismatches.is_empty(),
            "{} cells differ from permissions.md's \"Full details visible\":\n{}\n\nobserved:\n{}",
            details_mismatches.len(),
            details_mismatches.join("\n"),
            observed_details.join("\n")
        );
        app
    })
    .await;
}
