//! Aid money over HTTP on both databases: plans add up, installments are paid
//! once and only after the agreement, pledge and proof of use, the ledger
//! holds under concurrent requests on two server instances, bad input leaves
//! nothing behind, and a village committee reaches only its own village.

use domain::date::{china_date, format_date};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::storage::{now_ms, Db};

use crate::helpers::{assert_error, json_body, on_both, TestApp};

/// A PNG's signature, enough for the content check.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR scan";

pub(crate) fn today() -> String {
    format_date(china_date(now_ms()))
}

fn yesterday() -> String {
    format_date(china_date(now_ms() - 86_400_000))
}

async fn get(client: &Client, url: String) -> reqwest::Response {
    client.get(url).send().await.unwrap()
}

async fn get_ok(client: &Client, url: String) -> Value {
    let response = get(client, url).await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await
}

async fn post(client: &Client, url: String, body: Value) -> reqwest::Response {
    client.post(url).json(&body).send().await.unwrap()
}

async fn village_id(app: &TestApp, client: &Client, name: &str) -> i64 {
    let villages = get_ok(client, app.url("/api/v1/villages")).await;
    villages
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("village {name}"))["id"]
        .as_i64()
        .unwrap()
}

pub(crate) struct Setup {
    pub(crate) case_id: i64,
    pub(crate) agent_id: i64,
    pub(crate) child_id_number: String,
}

/// A new case of wang.fang about a child of `village` and her mother, approved
/// for `amount` fen by zhang.jian; paying when `start_payment`.
pub(crate) async fn approved_minor_case(
    app: &TestApp,
    village: &str,
    serial: u32,
    amount: i64,
    start_payment: bool,
) -> Setup {
    let officer = app.client_for("wang.fang").await;
    let supervisor = app.client_for("zhang.jian").await;
    let village = village_id(app, &officer, village).await;
    let child_id_number =
        domain::idcard::with_check_char(&format!("34042220160315{serial:03}")).unwrap();
    let lead = post(
        &officer,
        app.url("/api/v1/leads"),
        json!({
            "channel": "hotline_12309",
            "received_on": today(),
            "reporter": "被害人母亲",
            "summary": "未成年被害人受伤，家庭困难。",
            "people": [
                { "name": format!("钱小{serial}"), "id_number": child_id_number, "village_id": village, "phone": "13912345678", "priority_groups": ["minor"] },
                { "name": format!("钱母{serial}"), "village_id": village, "phone": "13987654321" }
            ],
            "confirm_duplicate": true
        }),
    )
    .await;
    assert_eq!(lead.status(), StatusCode::CREATED);
    let lead = json_body(lead).await;
    let case = post(
        &officer,
        app.url(&format!("/api/v1/leads/{}/accept", lead["id"])),
        json!({ "criminal_case_ref": "寿公刑〔2026〕9号", "agent_index": 1, "agent_relationship": "母亲" }),
    )
    .await;
    assert_eq!(case.status(), StatusCode::CREATED);
    let case = json_body(case).await;
    let case_id = case["id"].as_i64().unwrap();
    let transitions = app.url(&format!("/api/v1/cases/{case_id}/transitions"));
    let mut steps = vec![
        (&officer, json!({ "action": "start_investigation" })),
        (
            &officer,
            json!({ "action": "propose", "amount_fen": amount, "comment": "符合救助条件" }),
        ),
        (
            &supervisor,
            json!({ "action": "approve", "comment": "同意" }),
        ),
    ];
    if start_payment {
        steps.push((&officer, json!({ "action": "start_payment" })));
    }
    for (client, body) in steps {
        let response = post(client, transitions.clone(), body).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    Setup {
        case_id,
        agent_id: case["agent"]["id"].as_i64().unwrap(),
        child_id_number,
    }
}

fn three_installments(each: i64) -> Value {
    json!({
        "kind": "installments",
        "installments": [
            { "due_on": today(), "amount_fen": each },
            { "due_on": "2099-03-01", "amount_fen": each },
            { "due_on": "2099-06-01", "amount_fen": each }
        ]
    })
}

pub(crate) async fn upload(
    app: &TestApp,
    client: &Client,
    case_id: i64,
    kind: &str,
) -> reqwest::Response {
    client
        .post(app.url(&format!(
            "/api/v1/cases/{case_id}/money/documents?kind={kind}"
        )))
        .header("content-type", "application/octet-stream")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap()
}

/// Plan of three installments of `each`, agreement and pledge recorded with scans.
pub(crate) async fn supervised_plan(
    app: &TestApp,
    officer: &Client,
    setup: &Setup,
    each: i64,
) -> Value {
    let case_id = setup.case_id;
    let response = post(
        officer,
        app.url(&format!("/api/v1/cases/{case_id}/money/plan")),
        three_installments(each),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut ids = Vec::new();
    for kind in ["agreement", "pledge"] {
        let response = upload(app, officer, case_id, kind).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(json_body(response).await["id"].as_i64().unwrap());
    }
    let response = post(
        officer,
        app.url(&format!("/api/v1/cases/{case_id}/money/supervision")),
        json!({
            "guardian_person_id": setup.agent_id,
            "agreement_signed_on": today(),
            "pledge_signed_on": today(),
            "agreement_document_ids": [ids[0]],
            "pledge_document_ids": [ids[1]]
        }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await
}

pub(crate) fn installment_id(view: &Value, index: usize) -> i64 {
    view["plan"]["installments"][index]["id"].as_i64().unwrap()
}

pub(crate) fn pay_body() -> Value {
    json!({ "paid_on": today(), "method": "bank_transfer", "reference": "TX-001" })
}

async fn count(db: &Db, sql: &str, case_id: i64) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sql)
            .bind(case_id)
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql)
            .bind(case_id)
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

#[tokio::test]
async fn a_plan_adds_up_to_the_approved_amount_and_bad_plans_leave_nothing_behind() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let setup = approved_minor_case(&app, "小甸村", 1, 30_000, true).await;
        let case_id = setup.case_id;
        let plan_url = app.url(&format!("/api/v1/cases/{case_id}/money/plan"));

        for (body, field, code) in [
            (three_installments(9_999), "installments", "plan_sum_mismatch"),
            (json!({ "kind": "single", "installments": [{ "due_on": today(), "amount_fen": 29_999.5 }] }), "amount_fen", "fraction_of_fen"),
            (json!({ "kind": "installments", "installments": [{ "due_on": today(), "amount_fen": 40_000 }, { "due_on": "2099-01-01", "amount_fen": -10_000 }] }), "amount_fen", "amount_not_positive"),
            (json!({ "kind": "single", "installments": [{ "due_on": yesterday(), "amount_fen": 30_000 }] }), "due_on", "date_before_decision"),
            (json!({ "kind": "single", "installments": [{ "due_on": today(), "amount_fen": 10_000 }, { "due_on": "2099-01-01", "amount_fen": 20_000 }] }), "installments", "single_payment_has_one_installment"),
        ] {
            let response = post(&officer, plan_url.clone(), body).await;
            let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
            assert_eq!(error["error"]["field"], field);
        }
        let view = get_ok(&officer, app.url(&format!("/api/v1/cases/{case_id}/money"))).await;
        assert!(view["plan"].is_null(), "nothing written: {view}");
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM audit_log WHERE case_id = $1 AND action LIKE 'money.%'", case_id).await, 0);

        let response = post(&officer, plan_url.clone(), three_installments(10_000)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let view = json_body(response).await;
        assert_eq!(view["plan"]["supervised"], true, "a minor's aid is supervised");
        assert_eq!(view["minor"], true);
        assert_eq!(view["plan"]["installments"].as_array().unwrap().len(), 3);
        assert_eq!(view["ledger"]["approved_fen"], 30_000);
        assert_eq!(view["plan"]["installments"][0]["blocked_by"], "supervision_required");

        // Before any payment the officer may still change the plan.
        let single = json!({ "kind": "single", "supervised": true, "installments": [{ "due_on": today(), "amount_fen": 30_000 }] });
        assert_eq!(post(&officer, plan_url.clone(), single).await.status(), StatusCode::OK);
        let response = post(&officer, plan_url.clone(), three_installments(10_000)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            count(&app.db, "SELECT COUNT(*) FROM audit_log WHERE case_id = $1 AND action LIKE 'money.plan_%'", case_id).await,
            3
        );
        app
    })
    .await;
}

#[tokio::test]
async fn after_a_payment_only_a_supervisor_changes_the_plan_with_a_reason() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let setup = approved_minor_case(&app, "小甸村", 2, 30_000, true).await;
        let case_id = setup.case_id;
        let view = supervised_plan(&app, &officer, &setup, 10_000).await;
        let first = installment_id(&view, 0);
        let response = post(&officer, app.url(&format!("/api/v1/money/installments/{first}/pay")), pay_body()).await;
        assert_eq!(response.status(), StatusCode::OK);

        let plan_url = app.url(&format!("/api/v1/cases/{case_id}/money/plan"));
        let rest = json!({ "kind": "installments", "installments": [{ "due_on": "2099-02-01", "amount_fen": 20_000 }] });
        let response = post(&officer, plan_url.clone(), rest.clone()).await;
        assert_error(response, StatusCode::CONFLICT, "plan_started").await;
        let response = post(&supervisor, plan_url.clone(), rest.clone()).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "reason_required").await;
        // The unpaid rest must add up to what is left: 20,000 fen.
        let wrong = json!({ "kind": "installments", "reason": "家庭急需", "installments": [{ "due_on": "2099-02-01", "amount_fen": 30_000 }] });
        let response = post(&supervisor, plan_url.clone(), wrong).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "plan_sum_mismatch").await;
        let mut with_reason = rest;
        with_reason["reason"] = json!("监护人申请合并剩余两期");
        let response = post(&supervisor, plan_url, with_reason).await;
        assert_eq!(response.status(), StatusCode::OK);
        let view = json_body(response).await;
        let installments = view["plan"]["installments"].as_array().unwrap();
        assert_eq!(installments.len(), 2);
        assert!(installments[0]["payment"].is_object(), "the paid one stays");
        assert_eq!(installments[1]["amount_fen"], 20_000);
        assert_eq!(installments[1]["seq"], 2);
        let audit = get_ok(&supervisor, app.url(&format!("/api/v1/audit/money_plan/{case_id}"))).await;
        let changed = audit.as_array().unwrap().iter().find(|e| e["action"] == "money.plan_changed").expect("audited");
        assert_eq!(changed["after"]["reason"], "监护人申请合并剩余两期");
        app
    })
    .await;
}

#[tokio::test]
async fn an_installment_is_paid_once_even_when_two_instances_race() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let setup = approved_minor_case(&app, "小甸村", 3, 30_000, true).await;
        let case_id = setup.case_id;
        let plan = post(&officer, app.url(&format!("/api/v1/cases/{case_id}/money/plan")), three_installments(10_000)).await;
        let view = json_body(plan).await;
        let first = installment_id(&view, 0);
        let pay_url = |id: i64| format!("/api/v1/money/installments/{id}/pay");

        // No payment before the agreement and pledge are recorded.
        let response = post(&officer, app.url(&pay_url(first)), pay_body()).await;
        assert_error(response, StatusCode::CONFLICT, "supervision_required").await;
        let view = supervised_plan(&app, &officer, &setup, 10_000).await;
        let first = installment_id(&view, 0);
        let second = installment_id(&view, 1);
        // Bad payments: a date before the decision, no reference.
        let response = post(&officer, app.url(&pay_url(first)), json!({ "paid_on": yesterday(), "method": "cash", "reference": "R1" })).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "date_before_decision").await;
        let response = post(&officer, app.url(&pay_url(first)), json!({ "paid_on": today(), "method": "cash", "reference": " " })).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "required").await;
        let response = post(&officer, app.url(&pay_url(second)), pay_body()).await;
        assert_error(response, StatusCode::CONFLICT, "earlier_installment_unpaid").await;

        // Ten requests for the same installment, half through another instance.
        let other = app.other_instance().await;
        let mut tasks = Vec::new();
        for n in 0..10 {
            let client = officer.clone();
            let url = if n % 2 == 0 { app.url(&pay_url(first)) } else { other.url(&pay_url(first)) };
            tasks.push(tokio::spawn(async move { post(&client, url, pay_body()).await.status() }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 9, "{statuses:?}");
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM money_payments WHERE case_id = $1", case_id).await, 1);
        let view = get_ok(&officer, app.url(&format!("/api/v1/cases/{case_id}/money"))).await;
        assert_eq!(view["ledger"]["paid_fen"], 10_000);
        let response = post(&officer, app.url(&pay_url(first)), pay_body()).await;
        assert_error(response, StatusCode::CONFLICT, "already_paid").await;

        // Release on proof of use: the second waits for confirmed spending …
        assert_eq!(view["plan"]["installments"][1]["blocked_by"], "proof_of_use_required");
        let response = post(&officer, app.url(&pay_url(second)), pay_body()).await;
        assert_error(response, StatusCode::CONFLICT, "proof_of_use_required").await;
        // … unless a supervisor overrides it, with a reason.
        let release = app.url(&format!("/api/v1/money/installments/{second}/release"));
        let response = post(&officer, release.clone(), json!({ "text": "急需" })).await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = post(&supervisor, release.clone(), json!({ "text": " " })).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "required").await;
        let response = post(&supervisor, release, json!({ "text": "孩子住院，急需医疗费" })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = post(&officer, app.url(&pay_url(second)), pay_body()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let view = json_body(response).await;
        assert_eq!(view["ledger"]["paid_fen"], 20_000);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM audit_log WHERE case_id = $1 AND action IN ('money.paid', 'money.release_override')", case_id).await, 3);

        // A phone check of the first payment.
        let payment = view["plan"]["installments"][0]["payment"]["id"].as_i64().unwrap();
        let response = post(&officer, app.url(&format!("/api/v1/money/payments/{payment}/checks")),
            json!({ "checked_on": today(), "spoke_with": "钱母3（母亲）", "said_received_fen": 10_000, "note": "已收到" })).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let view = json_body(response).await;
        assert_eq!(view["plan"]["installments"][0]["payment"]["checks"][0]["said_received_fen"], 10_000);
        app
    })
    .await;
}

#[tokio::test]
async fn twenty_concurrent_spending_records_never_spend_more_than_paid() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let committee = app.client_for("vc.xiaodian").await;
        let setup = approved_minor_case(&app, "小甸村", 4, 30_000, true).await;
        let case_id = setup.case_id;
        let spend_url = format!("/api/v1/cases/{case_id}/money/spending");
        let view = supervised_plan(&app, &officer, &setup, 10_000).await;

        // Nothing paid yet: nothing can be spent.
        let body = json!({ "amount_fen": 700, "purpose": "school", "spent_on": today() });
        let response = post(&committee, app.url(&spend_url), body.clone()).await;
        assert_error(response, StatusCode::CONFLICT, "over_balance").await;
        let first = installment_id(&view, 0);
        let response = post(&officer, app.url(&format!("/api/v1/money/installments/{first}/pay")), pay_body()).await;
        assert_eq!(response.status(), StatusCode::OK);

        // Bad spending: fractions of a fen, negative, before the decision, beyond the balance.
        for (bad, status, code) in [
            (json!({ "amount_fen": 10.5, "purpose": "school", "spent_on": today() }), StatusCode::UNPROCESSABLE_ENTITY, "fraction_of_fen"),
            (json!({ "amount_fen": -100, "purpose": "school", "spent_on": today() }), StatusCode::UNPROCESSABLE_ENTITY, "amount_not_positive"),
            (json!({ "amount_fen": 100, "purpose": "school", "spent_on": yesterday() }), StatusCode::UNPROCESSABLE_ENTITY, "date_before_decision"),
            (json!({ "amount_fen": 100, "purpose": "school", "spent_on": "2099-01-01" }), StatusCode::UNPROCESSABLE_ENTITY, "date_in_future"),
            (json!({ "amount_fen": 10_001, "purpose": "medical", "spent_on": today() }), StatusCode::CONFLICT, "over_balance"),
        ] {
            let response = post(&committee, app.url(&spend_url), bad).await;
            assert_error(response, status, code).await;
        }
        let response = post(&committee, app.url(&spend_url), json!({ "amount_fen": 100, "purpose": "toys", "spent_on": today() })).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM money_spending WHERE case_id = $1", case_id).await, 0);

        // 20 × 700 fen against a balance of 10,000: exactly 14 fit.
        let other = app.other_instance().await;
        let mut tasks = Vec::new();
        for n in 0..20 {
            let (client, url) = match n % 4 {
                0 => (officer.clone(), app.url(&spend_url)),
                1 => (officer.clone(), other.url(&spend_url)),
                2 => (committee.clone(), app.url(&spend_url)),
                _ => (committee.clone(), other.url(&spend_url)),
            };
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                let response = post(&client, url, body).await;
                let status = response.status();
                let code = json_body(response).await["error"]["code"].clone();
                (status, code)
            }));
        }
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        let accepted = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        let refused = results.iter().filter(|(s, c)| *s == StatusCode::CONFLICT && c == "over_balance").count();
        assert_eq!((accepted, refused), (14, 6), "{results:?}");
        let view = get_ok(&officer, app.url(&format!("/api/v1/cases/{case_id}/money"))).await;
        assert_eq!(view["ledger"]["spent_fen"], 9_800);
        assert_eq!(view["balance_fen"], 200);
        assert_eq!(view["spending"].as_array().unwrap().len(), 14);
        assert_eq!(count(&app.db, "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM money_spending WHERE case_id = $1", case_id).await, 9_800);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM audit_log WHERE case_id = $1 AND action = 'money.spending_recorded'", case_id).await, 14);
        app
    })
    .await;
}

#[tokio::test]
async fn the_village_committee_confirms_or_queries_and_the_officer_answers() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let committee = app.client_for("vc.xiaodian").await;
        let setup = approved_minor_case(&app, "小甸村", 5, 30_000, true).await;
        let case_id = setup.case_id;
        let view = supervised_plan(&app, &officer, &setup, 10_000).await;
        let first = installment_id(&view, 0);
        post(&officer, app.url(&format!("/api/v1/money/installments/{first}/pay")), pay_body()).await;

        let receipt = upload(&app, &committee, case_id, "receipt").await;
        assert_eq!(receipt.status(), StatusCode::CREATED);
        let receipt = json_body(receipt).await["id"].as_i64().unwrap();
        let spend_url = app.url(&format!("/api/v1/cases/{case_id}/money/spending"));
        let response = post(&committee, spend_url.clone(), json!({ "amount_fen": 6_000, "purpose": "school", "spent_on": today(), "note": "学费", "receipt_document_id": receipt })).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let response = post(&officer, spend_url, json!({ "amount_fen": 4_000, "purpose": "living", "spent_on": today() })).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let view = json_body(response).await;
        let school = view["spending"][0]["id"].as_i64().unwrap();
        let living = view["spending"][1]["id"].as_i64().unwrap();

        // The officer cannot confirm; the committee confirms one and queries the other.
        let response = officer.post(app.url(&format!("/api/v1/money/spending/{school}/confirm"))).send().await.unwrap();
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = committee.post(app.url(&format!("/api/v1/money/spending/{school}/confirm"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let response = committee.post(app.url(&format!("/api/v1/money/spending/{school}/confirm"))).send().await.unwrap();
        assert_error(response, StatusCode::CONFLICT, "spending_not_waiting").await;
        let query_url = app.url(&format!("/api/v1/money/spending/{living}/query"));
        let response = post(&committee, query_url.clone(), json!({ "text": "" })).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "required").await;
        let response = post(&committee, query_url, json!({ "text": "请补充生活费票据" })).await;
        assert_eq!(response.status(), StatusCode::OK);

        let view = get_ok(&officer, app.url(&format!("/api/v1/cases/{case_id}/money"))).await;
        assert_eq!(view["ledger"]["confirmed_fen"], 6_000);
        assert_eq!(view["spending"][0]["status"], "confirmed");
        assert_eq!(view["spending"][1]["status"], "queried");
        assert_eq!(view["spending"][1]["can_answer"], true);
        assert_eq!(view["spending"][1]["notes"][1]["comment"], "请补充生活费票据");
        // Proof of use is not complete while a record is queried.
        assert_eq!(view["plan"]["installments"][1]["blocked_by"], "proof_of_use_required");

        let response = post(&officer, app.url(&format!("/api/v1/money/spending/{living}/answer")), json!({ "text": "已补充超市小票" })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = committee.post(app.url(&format!("/api/v1/money/spending/{living}/confirm"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let view = json_body(response).await;
        assert_eq!(view["ledger"]["confirmed_fen"], 10_000);
        let second = installment_id(&view, 1);
        let response = post(&officer, app.url(&format!("/api/v1/money/installments/{second}/pay")), pay_body()).await;
        assert_eq!(response.status(), StatusCode::OK, "released on proof of use");

        let list = get_ok(&committee, app.url("/api/v1/money/supervised")).await;
        let child = list.as_array().unwrap().iter().find(|c| c["case_id"] == case_id).expect("in the list");
        assert_eq!(child["installments_paid"], 2);
        assert_eq!(child["balance_fen"], 10_000);
        let timeline = view["timeline"].as_array().unwrap();
        assert_eq!(timeline[0]["kind"], "decision");
        assert!(timeline.iter().any(|e| e["kind"] == "queried"));
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM case_events WHERE case_id = $1 AND action LIKE 'money_%'", case_id).await, 10);
        app
    })
    .await;
}

#[tokio::test]
async fn a_village_committee_reaches_only_supervised_children_of_its_own_village() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let own = app.client_for("vc.xiaodian").await;
        let other = app.client_for("vc.zhengyang").await;
        let setup = approved_minor_case(&app, "小甸村", 6, 30_000, true).await;
        let case_id = setup.case_id;
        let view = supervised_plan(&app, &officer, &setup, 10_000).await;
        let first = installment_id(&view, 0);
        let response = post(&officer, app.url(&format!("/api/v1/money/installments/{first}/pay")), pay_body()).await;
        let view = json_body(response).await;
        let payment = view["plan"]["installments"][0]["payment"]["id"].as_i64().unwrap();
        let agreement = view["supervision"]["documents"][0]["id"].as_i64().unwrap();
        let receipt = json_body(upload(&app, &own, case_id, "receipt").await).await["id"].as_i64().unwrap();
        let response = post(&own, app.url(&format!("/api/v1/cases/{case_id}/money/spending")),
            json!({ "amount_fen": 1_000, "purpose": "medical", "spent_on": today(), "receipt_document_id": receipt })).await;
        let spending = json_body(response).await["spending"][0]["id"].as_i64().unwrap();

        // Another village's committee: not found, on every endpoint.
        let not_found = [
            other.get(app.url(&format!("/api/v1/cases/{case_id}/money"))).send().await.unwrap(),
            other.post(app.url(&format!("/api/v1/cases/{case_id}/money/spending"))).json(&json!({ "amount_fen": 100, "purpose": "school", "spent_on": today() })).send().await.unwrap(),
            upload(&app, &other, case_id, "receipt").await,
            other.post(app.url(&format!("/api/v1/money/spending/{spending}/confirm"))).send().await.unwrap(),
            other.post(app.url(&format!("/api/v1/money/spending/{spending}/query"))).json(&json!({ "text": "?" })).send().await.unwrap(),
            other.get(app.url(&format!("/api/v1/money/documents/{receipt}"))).send().await.unwrap(),
            other.get(app.url(&format!("/api/v1/cases/{}/money", case_id + 1000))).send().await.unwrap(),
        ];
        for response in not_found {
            assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
        }
        let list = get_ok(&other, app.url("/api/v1/money/supervised")).await;
        assert!(list.as_array().unwrap().iter().all(|c| c["case_id"] != case_id));
        // What only officers do is forbidden by role, whoever asks.
        for response in [
            post(&other, app.url(&format!("/api/v1/money/installments/{first}/pay")), pay_body()).await,
            post(&own, app.url(&format!("/api/v1/money/payments/{payment}/checks")), json!({ "checked_on": today(), "spoke_with": "母亲", "said_received_fen": 1 })).await,
            post(&own, app.url(&format!("/api/v1/cases/{case_id}/money/plan")), three_installments(10_000)).await,
        ] {
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }

        // The own village's committee sees the money, but not the case file,
        // the criminal case, the agreement scans or full ID numbers.
        let response = get(&own, app.url(&format!("/api/v1/cases/{case_id}/money"))).await;
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.unwrap();
        assert!(!text.contains(&setup.child_id_number), "no full ID number");
        assert!(!text.contains("寿公刑"), "no criminal case");
        assert!(!text.contains("case_number"), "no case number");
        assert!(!text.contains("TX-001"), "no payment reference");
        let view: Value = serde_json::from_str(&text).unwrap();
        assert!(view["supervision"]["documents"].as_array().unwrap().is_empty());
        assert_eq!(view["spending"][0]["can_confirm"], true);
        let response = get(&own, app.url(&format!("/api/v1/money/documents/{agreement}"))).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
        let response = get(&own, app.url(&format!("/api/v1/money/documents/{receipt}"))).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/png");
        assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);
        let response = get(&own, app.url(&format!("/api/v1/cases/{case_id}"))).await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;

        // An unsupervised case of the same village is not the committee's to see.
        let adult = approved_minor_case(&app, "小甸村", 7, 50_000, true).await;
        let response = post(&officer, app.url(&format!("/api/v1/cases/{}/money/plan", adult.case_id)),
            json!({ "kind": "single", "supervised": false, "installments": [{ "due_on": today(), "amount_fen": 50_000 }] })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = get(&own, app.url(&format!("/api/v1/cases/{}/money", adult.case_id))).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;

        // Uploads are checked by content and size.
        let response = own
            .post(app.url(&format!("/api/v1/cases/{case_id}/money/documents?kind=receipt")))
            .body(b"%PDF-1.7 not an image".to_vec())
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "not_an_image").await;
        let response = own
            .post(app.url(&format!("/api/v1/cases/{case_id}/money/documents?kind=receipt")))
            .body(vec![0xFF; 6 * 1024 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let response = upload(&app, &own, case_id, "agreement").await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        app
    })
    .await;
}

#[tokio::test]
async fn the_money_pages_render_on_the_server_within_the_village() {
    on_both(|app| async move {
        app.load_demo().await;
        let committee = app.client_for("vc.xiaodian").await;
        let html = get(&committee, app.url("/money"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("李*雨"),
            "the demo's supervised child, masked in the list"
        );
        assert!(
            html.contains("2 条待确认"),
            "two records wait for the committee"
        );
        assert!(!html.contains("寿公刑"), "no criminal case");
        let list = get_ok(&committee, app.url("/api/v1/money/supervised")).await;
        let case_id = list[0]["case_id"].as_i64().unwrap();
        let html = get(&committee, app.url(&format!("/money/{case_id}")))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("资金流向") && html.contains("救助决定"),
            "the printable timeline"
        );
        // Another village's committee finds nothing.
        let other = app.client_for("vc.zhengyang").await;
        let html = get(&other, app.url("/money")).await.text().await.unwrap();
        assert!(!html.contains("李小雨") && !html.contains("李*雨"));
        let response = get(&other, app.url(&format!("/api/v1/cases/{case_id}/money"))).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
        // The officer's case page carries the money section.
        let officer = app.client_for("wang.fang").await;
        let html = get(&officer, app.url(&format!("/cases/{case_id}")))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("data-testid=\"money\"") && html.contains("就学"));
        app
    })
    .await;
}
