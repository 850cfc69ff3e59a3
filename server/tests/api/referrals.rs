//! Referrals to partner agencies: consent first, the referral states, agency
//! scope (another agency's partner gets 404), minimal fields for partners,
//! overdue flags, the case timeline and the audit log.

use domain::date::{china_date, format_date};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::storage::{now_ms, Db};

use crate::helpers::{
    assert_error, get, get_json, get_text, json_body, on_both, post, spawn_app, today_in_china,
    Backend, TestApp,
};

pub(crate) async fn agency_id(app: &TestApp, client: &Client, name: &str) -> i64 {
    let agencies = get_json(client, app.url("/api/v1/agencies")).await;
    agencies
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("agency {name}"))["id"]
        .as_i64()
        .unwrap()
}

/// A new case of the logged-in officer, from a new lead about a child and her mother.
async fn new_case(app: &TestApp, officer: &Client, name: &str) -> Value {
    let villages = get_json(officer, app.url("/api/v1/villages")).await;
    let village = villages.as_array().unwrap()[0]["id"].as_i64().unwrap();
    let lead = post(
        officer,
        app.url("/api/v1/leads"),
        json!({
            "channel": "hotline_12309",
            "received_on": today_in_china(),
            "reporter": "被害人母亲",
            "summary": "被害人受伤，家庭困难。",
            "people": [
                { "name": name, "village_id": village, "phone": "13912345678", "priority_groups": ["minor"] },
                { "name": format!("{name}母亲"), "village_id": village, "phone": "13987654321" }
            ],
            "confirm_duplicate": true
        }),
    )
    .await;
    assert_eq!(lead.status(), StatusCode::CREATED);
    let lead = json_body(lead).await;
    let case = post(
        officer,
        app.url(&format!("/api/v1/leads/{}/accept", lead["id"])),
        json!({ "criminal_case_ref": "寿公刑〔2026〕7号", "agent_index": 1, "agent_relationship": "母亲" }),
    )
    .await;
    assert_eq!(case.status(), StatusCode::CREATED);
    json_body(case).await
}

pub(crate) fn consent_body(person_id: i64) -> Value {
    json!({ "person_id": person_id, "given_by": "王某（母亲）", "relationship": "监护人", "signed_on": today_in_china(), "scope_note": "同意向县教育局提供姓名、住址、电话" })
}

pub(crate) fn referral_body(person_id: i64, agency_id: i64, service: &str) -> Value {
    json!({ "person_id": person_id, "agency_id": agency_id, "service": service, "note": "需要复学和学费减免", "due_on": today_in_china() })
}

/// Consent, then a referral to 县教育局 for education support; returns (case id, referral id).
pub(crate) async fn referred_case(app: &TestApp, officer: &Client, name: &str) -> (i64, i64) {
    let case = new_case(app, officer, name).await;
    let case_id = case["id"].as_i64().unwrap();
    let person = case["applicant"]["id"].as_i64().unwrap();
    let edu = agency_id(app, officer, "县教育局").await;
    let consent = post(
        officer,
        app.url(&format!("/api/v1/cases/{case_id}/consents")),
        consent_body(person),
    )
    .await;
    assert_eq!(consent.status(), StatusCode::CREATED);
    let referral = post(
        officer,
        app.url(&format!("/api/v1/cases/{case_id}/referrals")),
        referral_body(person, edu, "education_support"),
    )
    .await;
    assert_eq!(referral.status(), StatusCode::CREATED);
    let referral = json_body(referral).await;
    (case_id, referral["id"].as_i64().unwrap())
}

async fn act(
    app: &TestApp,
    client: &Client,
    id: i64,
    action: &str,
    text: Option<&str>,
) -> reqwest::Response {
    let url = app.url(&format!("/api/v1/referrals/{id}/{action}"));
    match text {
        Some(t) => post(client, url, json!({ "text": t })).await,
        None => client.post(url).send().await.unwrap(),
    }
}

#[tokio::test]
async fn without_consent_there_is_no_referral_and_nothing_is_written() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let case = new_case(&app, &officer, "林小满").await;
        let case_id = case["id"].as_i64().unwrap();
        let person = case["applicant"]["id"].as_i64().unwrap();
        let agent = case["agent"]["id"].as_i64().unwrap();
        let edu = agency_id(&app, &officer, "县教育局").await;
        let url = app.url(&format!("/api/v1/cases/{case_id}/referrals"));

        let response = post(
            &officer,
            url.clone(),
            referral_body(person, edu, "education_support"),
        )
        .await;
        assert_error(response, StatusCode::CONFLICT, "consent_required").await;

        // The guardian's consent for the child does not cover the mother herself.
        let consents = app.url(&format!("/api/v1/cases/{case_id}/consents"));
        let response = post(&officer, consents.clone(), consent_body(person)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body = json_body(response).await;
        assert_eq!(body["consents"].as_array().unwrap().len(), 1);
        assert_eq!(body["can_refer"], true);
        assert_eq!(body["people"].as_array().unwrap().len(), 2);
        let response = post(
            &officer,
            url.clone(),
            referral_body(agent, edu, "education_support"),
        )
        .await;
        assert_error(response, StatusCode::CONFLICT, "consent_required").await;

        let referrals = get_json(&officer, url).await;
        assert!(referrals["referrals"].as_array().unwrap().is_empty());
        app
    })
    .await;
}

#[tokio::test]
async fn bad_consents_and_referrals_are_refused_field_by_field() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let other_officer = app.client_for("chen.ming").await;
        let supervisor = app.client_for("zhang.jian").await;
        let case = new_case(&app, &officer, "林小满").await;
        let case_id = case["id"].as_i64().unwrap();
        let person = case["applicant"]["id"].as_i64().unwrap();
        let edu = agency_id(&app, &officer, "县教育局").await;
        let consents = app.url(&format!("/api/v1/cases/{case_id}/consents"));
        let referrals = app.url(&format!("/api/v1/cases/{case_id}/referrals"));

        for (body, field, code) in [
            (json!({ "person_id": person, "given_by": " ", "relationship": "本人", "signed_on": today_in_china() }), "given_by", "required"),
            (json!({ "person_id": person, "given_by": "林小满", "relationship": "本人", "signed_on": "2026-02-30" }), "signed_on", "invalid_date"),
            (json!({ "person_id": person, "given_by": "林小满", "relationship": "本人", "signed_on": "2999-01-01" }), "signed_on", "date_in_future"),
            (json!({ "person_id": 999_999, "given_by": "林小满", "relationship": "本人", "signed_on": today_in_china() }), "person_id", "not_in_case"),
        ] {
            let response = post(&officer, consents.clone(), body).await;
            let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
            assert_eq!(error["error"]["field"], field);
        }
        // Only the case's own officer records consent and refers.
        for client in [&other_officer, &supervisor] {
            let response = post(client, consents.clone(), consent_body(person)).await;
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        assert_eq!(post(&officer, consents, consent_body(person)).await.status(), StatusCode::CREATED);

        let yesterday = format_date(china_date(now_ms() - 86_400_000));
        for (body, field, code) in [
            (referral_body(person, edu, "living_assistance"), "service", "service_not_offered"),
            (referral_body(person, 999_999, "education_support"), "agency_id", "unknown_agency"),
            (referral_body(999_999, edu, "education_support"), "person_id", "not_in_case"),
            (json!({ "person_id": person, "agency_id": edu, "service": "education_support", "note": "", "due_on": today_in_china() }), "note", "required"),
            (json!({ "person_id": person, "agency_id": edu, "service": "education_support", "note": "复学", "due_on": yesterday }), "due_on", "date_in_past"),
        ] {
            let response = post(&officer, referrals.clone(), body).await;
            let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
            assert_eq!(error["error"]["field"], field);
        }
        let response = post(&officer, referrals.clone(), json!({ "person_id": person, "agency_id": edu, "service": "flying_lessons", "note": "x", "due_on": today_in_china() })).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let response = post(&other_officer, referrals.clone(), referral_body(person, edu, "education_support")).await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;

        let listed = get_json(&officer, referrals).await;
        assert!(listed["referrals"].as_array().unwrap().is_empty(), "nothing half-written");
        app
    })
    .await;
}

#[tokio::test]
async fn a_partner_accepts_records_progress_and_the_outcome_and_the_officer_sees_it_on_the_case() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let partner = app.client_for("edu.bureau").await;
        let (case_id, id) = referred_case(&app, &officer, "林小满").await;

        // Not yet accepted: nothing can be completed or progressed.
        for action in ["progress", "complete"] {
            let response = act(&app, &partner, id, action, Some("x")).await;
            assert_error(response, StatusCode::CONFLICT, "transition_not_allowed").await;
        }
        // Officers do not act for the agency.
        let response = act(&app, &officer, id, "accept", None).await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;

        let response = act(&app, &partner, id, "accept", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let referral = json_body(response).await;
        assert_eq!(referral["state"], "accepted");
        assert_eq!(referral["actions"], json!(["progress", "complete"]));
        for action in ["accept", "decline"] {
            let response = act(&app, &partner, id, action, Some("x")).await;
            assert_error(response, StatusCode::CONFLICT, "transition_not_allowed").await;
        }
        let response = act(&app, &partner, id, "progress", Some("  ")).await;
        let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "required").await;
        assert_eq!(error["error"]["field"], "text");

        for note in ["已联系学校", "已办理复学"] {
            let response = act(&app, &partner, id, "progress", Some(note)).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(json_body(response).await["state"], "in_progress");
        }
        let response = act(&app, &partner, id, "complete", Some("已复学，免除学杂费")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let done = json_body(response).await;
        assert_eq!(done["state"], "done");
        assert_eq!(done["outcome"], "已复学，免除学杂费");
        assert_eq!(done["actions"], json!([]));
        let actions: Vec<&str> = done["updates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            ["sent", "accept", "progress", "progress", "complete"]
        );
        let response = act(&app, &partner, id, "progress", Some("再来")).await;
        assert_error(response, StatusCode::CONFLICT, "transition_not_allowed").await;

        // The officer sees the outcome with the case, and on its timeline.
        let on_case = get_json(
            &officer,
            app.url(&format!("/api/v1/cases/{case_id}/referrals")),
        )
        .await;
        let seen = &on_case["referrals"][0];
        assert_eq!(seen["state"], "done");
        assert_eq!(seen["outcome"], "已复学，免除学杂费");
        assert_eq!(seen["case_id"], case_id);
        assert_eq!(seen["overdue"], false);
        let case = get_json(&officer, app.url(&format!("/api/v1/cases/{case_id}"))).await;
        assert_eq!(case["state"], "accepted", "referrals do not move the case");
        let events: Vec<&str> = case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            events,
            [
                "accept",
                "consent_recorded",
                "referral_sent",
                "referral_accepted",
                "referral_progress",
                "referral_progress",
                "referral_done"
            ]
        );
        // Every change is in the audit log.
        let audit = get_json(
            &supervisor,
            app.url(&format!("/api/v1/audit/case/{case_id}")),
        )
        .await;
        let actions: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "referral.transition")
                .count(),
            4
        );
        assert!(actions.contains(&"referral.created"));
        assert!(actions.contains(&"consent.recorded"));
        app
    })
    .await;
}

#[tokio::test]
async fn a_declined_referral_keeps_its_reason_and_is_final() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let partner = app.client_for("edu.bureau").await;
        let (_, id) = referred_case(&app, &officer, "林小满").await;
        let response = act(&app, &partner, id, "decline", Some("")).await;
        let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "required").await;
        assert_eq!(error["error"]["field"], "text");
        let response = act(
            &app,
            &partner,
            id,
            "decline",
            Some("不属于本局职责，建议转民政局"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let declined = json_body(response).await;
        assert_eq!(declined["state"], "declined");
        assert_eq!(declined["decline_reason"], "不属于本局职责，建议转民政局");
        for action in ["accept", "decline", "progress", "complete"] {
            let response = act(&app, &partner, id, action, Some("x")).await;
            assert_error(response, StatusCode::CONFLICT, "transition_not_allowed").await;
        }
        app
    })
    .await;
}

#[tokio::test]
async fn partners_see_only_their_agency_and_only_what_they_need() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let edu = app.client_for("edu.bureau").await;
        let civil = app.client_for("civil.affairs").await;
        let village = app.client_for("vc.xiaodian").await;
        let admin = app.client_for("admin").await;
        let (case_id, id) = referred_case(&app, &officer, "林小满").await;
        let url = app.url(&format!("/api/v1/referrals/{id}"));

        // Another agency's partner: as if it did not exist.
        assert_error(
            get(&civil, url.clone()).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        for action in ["accept", "decline"] {
            let response = act(&app, &civil, id, action, Some("x")).await;
            assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
        }
        assert!(get_json(&civil, app.url("/api/v1/referrals"))
            .await
            .as_array()
            .unwrap()
            .is_empty());
        // Village committees and admins have no business with referrals.
        for client in [&village, &admin] {
            assert_error(
                get(client, url.clone()).await,
                StatusCode::FORBIDDEN,
                "forbidden",
            )
            .await;
            assert_error(
                get(client, app.url("/api/v1/referrals")).await,
                StatusCode::FORBIDDEN,
                "forbidden",
            )
            .await;
        }
        // Partners cannot read the case itself, nor its referral part.
        assert_error(
            get(&edu, app.url(&format!("/api/v1/cases/{case_id}"))).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert_error(
            get(&edu, app.url(&format!("/api/v1/cases/{case_id}/referrals"))).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;

        let listed = get_json(&edu, app.url("/api/v1/referrals")).await;
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 1);
        let one = get_json(&edu, url).await;
        // The list masks the name and phone like every list; the referral
        // itself gives the agency what it needs to reach the person.
        assert_eq!(listed[0]["person_name"], "林*满");
        assert_eq!(listed[0]["phone"], "139****5678");
        assert_eq!(one["person_name"], "林小满");
        assert_eq!(one["phone"], "13912345678");
        for referral in [&listed[0], &one] {
            assert_eq!(referral["note"], "需要复学和学费减免");
            assert_eq!(referral["actions"], json!(["accept", "decline"]));
            let text = referral.to_string();
            for hidden in [
                "case_id",
                "case_number",
                "criminal_case_ref",
                "summary",
                "寿公刑",
                "寿检司救受",
                "被害人受伤",
            ] {
                assert!(
                    !text.contains(hidden),
                    "{hidden} leaked to a partner: {text}"
                );
            }
        }
        app
    })
    .await;
}

#[tokio::test]
async fn the_referring_officer_withdraws_a_referral_to_address_another_agency() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let other_officer = app.client_for("chen.ming").await;
        let supervisor = app.client_for("zhang.jian").await;
        let partner = app.client_for("edu.bureau").await;
        let (case_id, id) = referred_case(&app, &officer, "林小满").await;
        let accepted = act(&app, &partner, id, "accept", None).await;
        assert_eq!(accepted.status(), StatusCode::OK);

        // Only the case's own officer, and only with a reason.
        for client in [&other_officer, &supervisor] {
            let response = act(&app, client, id, "withdraw", Some("改转民政局")).await;
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let response = act(&app, &partner, id, "withdraw", Some("改转民政局")).await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = act(&app, &officer, id, "withdraw", Some("  ")).await;
        let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "required").await;
        assert_eq!(error["error"]["field"], "text");
        let partner_view = get_json(&partner, app.url(&format!("/api/v1/referrals/{id}"))).await;
        assert_eq!(partner_view["state"], "accepted");
        assert!(
            !partner_view["actions"]
                .as_array()
                .unwrap()
                .contains(&json!("withdraw")),
            "{partner_view}"
        );
        let mine = get_json(&officer, app.url(&format!("/api/v1/referrals/{id}"))).await;
        assert_eq!(mine["actions"], json!(["withdraw"]));
        let others = get_json(&other_officer, app.url(&format!("/api/v1/referrals/{id}"))).await;
        assert_eq!(others["actions"], json!([]));

        let response = act(
            &app,
            &officer,
            id,
            "withdraw",
            Some("家长要求改由民政局帮扶"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let withdrawn = json_body(response).await;
        assert_eq!(withdrawn["state"], "withdrawn");
        assert_eq!(withdrawn["withdraw_reason"], "家长要求改由民政局帮扶");
        assert_eq!(withdrawn["actions"], json!([]));
        // Final for everyone; the partner sees it withdrawn.
        for (client, action) in [
            (&officer, "withdraw"),
            (&partner, "progress"),
            (&partner, "complete"),
        ] {
            let response = act(&app, client, id, action, Some("x")).await;
            assert_error(response, StatusCode::CONFLICT, "transition_not_allowed").await;
        }
        let partner_view = get_json(&partner, app.url(&format!("/api/v1/referrals/{id}"))).await;
        assert_eq!(partner_view["state"], "withdrawn");

        // Re-addressed: a new referral to another agency under the same consent.
        let civil = agency_id(&app, &officer, "县民政局").await;
        let case = get_json(&officer, app.url(&format!("/api/v1/cases/{case_id}"))).await;
        let person = case["applicant"]["id"].as_i64().unwrap();
        let again = post(
            &officer,
            app.url(&format!("/api/v1/cases/{case_id}/referrals")),
            referral_body(person, civil, "living_assistance"),
        )
        .await;
        assert_eq!(again.status(), StatusCode::CREATED);
        let on_case = get_json(
            &officer,
            app.url(&format!("/api/v1/cases/{case_id}/referrals")),
        )
        .await;
        let states: Vec<&str> = on_case["referrals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, vec!["sent", "withdrawn"]);

        // On the timeline and in the audit log.
        let case = get_json(&officer, app.url(&format!("/api/v1/cases/{case_id}"))).await;
        assert!(case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "referral_withdrawn"
                && e["comment"]
                    .as_str()
                    .unwrap()
                    .contains("家长要求改由民政局帮扶")));
        let audit = get_json(
            &supervisor,
            app.url(&format!("/api/v1/audit/referral/{id}")),
        )
        .await;
        assert!(audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["after"]["action"] == "withdraw" && e["before"]["state"] == "accepted"));
        app
    })
    .await;
}

#[tokio::test]
async fn referrals_not_done_by_their_due_date_are_flagged_to_the_officer() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let other_officer = app.client_for("chen.ming").await;
        let (_, late) = referred_case(&app, &officer, "林小满").await;
        let (_, on_time) = referred_case(&app, &officer, "林小雨").await;
        let sql = "UPDATE referrals SET due_on = '2020-01-31' WHERE id = $1";
        match &app.db {
            Db::Sqlite(pool) => sqlx::query(sql).bind(late).execute(pool).await.map(|_| ()),
            Db::Postgres(pool) => sqlx::query(sql).bind(late).execute(pool).await.map(|_| ()),
        }
        .unwrap();
        let mine = get_json(&officer, app.url("/api/v1/referrals")).await;
        let flag = |id: i64| {
            mine.as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id)
                .unwrap()["overdue"]
                .clone()
        };
        assert_eq!(flag(late), true);
        assert_eq!(flag(on_time), false);
        // The home page asks for the overdue ones only; a partner for the new ones.
        let overdue = get_json(&officer, app.url("/api/v1/referrals?overdue=true")).await;
        let overdue_ids: Vec<i64> = overdue
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(overdue_ids, vec![late]);
        let partner = app.client_for("edu.bureau").await;
        let accepted = act(&app, &partner, on_time, "accept", None).await;
        assert_eq!(accepted.status(), StatusCode::OK);
        let waiting = get_json(&partner, app.url("/api/v1/referrals?state=sent")).await;
        let waiting_ids: Vec<i64> = waiting
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(waiting_ids, vec![late]);
        // A finished referral is never overdue, whatever its date.
        let done = act(&app, &partner, late, "decline", Some("不属于本局职责")).await;
        assert_eq!(done.status(), StatusCode::OK);
        let overdue = get_json(&officer, app.url("/api/v1/referrals?overdue=true")).await;
        assert!(overdue.as_array().unwrap().is_empty(), "{overdue}");
        let response = get(&officer, app.url("/api/v1/referrals?state=lost")).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_state").await;
        // Another officer's list has only that officer's cases' referrals.
        assert!(get_json(&other_officer, app.url("/api/v1/referrals"))
            .await
            .as_array()
            .unwrap()
            .is_empty());
        app
    })
    .await;
}

#[tokio::test]
async fn admins_add_agencies_and_set_their_services() {
    on_both(|app| async move {
        app.load_demo().await;
        let admin = app.client_for("admin").await;
        let officer = app.client_for("wang.fang").await;
        let body = json!({ "name": "县残疾人联合会", "kind": "other", "services": ["medical_help", "employment_help", "medical_help"] });
        let response = post(&officer, app.url("/api/v1/agencies"), body.clone()).await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = post(&admin, app.url("/api/v1/agencies"), json!({ "name": "X", "kind": "army" })).await;
        let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unknown_kind").await;
        assert_eq!(error["error"]["field"], "kind");
        let response = post(&admin, app.url("/api/v1/agencies"), body.clone()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let agency = json_body(response).await;
        assert_eq!(agency["services"], json!(["medical_help", "employment_help"]));
        let response = post(&admin, app.url("/api/v1/agencies"), body).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "agency_exists").await;

        let id = agency["id"].as_i64().unwrap();
        let response = admin
            .put(app.url(&format!("/api/v1/agencies/{id}/services")))
            .json(&json!({ "services": ["counselling"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let agencies = get_json(&officer, app.url("/api/v1/agencies")).await;
        let listed = agencies.as_array().unwrap().iter().find(|a| a["id"] == id).unwrap().clone();
        assert_eq!(listed["services"], json!(["counselling"]));
        let edu = agencies.as_array().unwrap().iter().find(|a| a["name"] == "县教育局").unwrap().clone();
        assert_eq!(edu["services"], json!(["education_support", "counselling"]));
        let audit = get_json(&app.client_for("zhang.jian").await, app.url(&format!("/api/v1/audit/agency/{id}"))).await;
        assert_eq!(audit.as_array().unwrap().len(), 2);
        app
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_lists_the_referral_routes() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc = get_json(&app.client(), app.url("/api/v1/openapi.json")).await;
    for path in [
        "/api/v1/agencies",
        "/api/v1/agencies/{id}/services",
        "/api/v1/cases/{id}/consents",
        "/api/v1/cases/{id}/referrals",
        "/api/v1/referrals",
        "/api/v1/referrals/{id}",
        "/api/v1/referrals/{id}/accept",
        "/api/v1/referrals/{id}/decline",
        "/api/v1/referrals/{id}/progress",
        "/api/v1/referrals/{id}/complete",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["paths"]["/api/v1/agencies"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/cases/{id}/referrals"]["post"].is_object());
    app.shutdown().await;
}

#[tokio::test]
async fn the_referral_pages_are_rendered_on_the_server_for_partner_and_officer() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let partner = app.client_for("edu.bureau").await;
        let (case_id, _) = referred_case(&app, &officer, "林小满").await;

        let html = get_text(&partner, app.url("/referrals")).await;
        for expected in [
            "转介到本单位的事项",
            "林*满",
            "教育帮扶",
            "待接收",
            "需要复学和学费减免",
            "接收",
        ] {
            assert!(
                html.contains(expected),
                "{expected} not on the partner's page"
            );
        }
        for hidden in ["寿公刑", "寿检司救受", "被害人受伤"] {
            assert!(
                !html.contains(hidden),
                "{hidden} leaked onto the partner's page"
            );
        }
        let html = get_text(&officer, app.url(&format!("/cases/{case_id}"))).await;
        for expected in [
            "转介（1+N）",
            "信息共享同意",
            "王某（母亲）",
            "需要复学和学费减免",
            "转介至协作单位",
            "data-testid=\"refer-form\"",
        ] {
            assert!(html.contains(expected), "{expected} not on the case page");
        }
        let html = get_text(&officer, app.url("/referrals")).await;
        assert!(html.contains("我的转介") && html.contains("林*满"));
        app
    })
    .await;
}

/// SQLite cannot change a CHECK constraint in place, so the migration that
/// allows withdrawal rebuilds `referrals` and `referral_updates`. Replaying its
/// SQL on a database full of referrals shows the rebuild keeps every row and
/// every link, with foreign keys enforced throughout.
#[tokio::test]
async fn the_sqlite_table_rebuild_for_withdrawal_keeps_every_referral_and_its_history() {
    let app = spawn_app(Backend::Sqlite).await;
    app.load_demo().await;
    let officer = app.client_for("wang.fang").await;
    let partner = app.client_for("edu.bureau").await;
    let (_, first) = referred_case(&app, &officer, "林小满").await;
    let (_, second) = referred_case(&app, &officer, "林小雨").await;
    assert_eq!(
        act(&app, &partner, first, "accept", None).await.status(),
        StatusCode::OK
    );
    let progress = act(&app, &partner, first, "progress", Some("已联系学校")).await;
    assert_eq!(progress.status(), StatusCode::OK);
    let Db::Sqlite(pool) = &app.db else {
        unreachable!("a SQLite app")
    };
    type Snapshot = (
        Vec<(i64, i64, String, String, String)>,
        Vec<(i64, i64, String, String)>,
    );
    let snapshot = || async {
        let referrals = sqlx::query_as::<_, (i64, i64, String, String, String)>(
            "SELECT id, case_id, state, note, due_on FROM referrals ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        let updates = sqlx::query_as::<_, (i64, i64, String, String)>(
            "SELECT id, referral_id, action, to_state FROM referral_updates ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        (referrals, updates) as Snapshot
    };
    let before = snapshot().await;
    assert_eq!(before.0.len(), 2);
    assert_eq!(before.1.len(), 4);

    let sql = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/sqlite/0009_referral_withdrawal.sql"
    ))
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::raw_sql(&sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(snapshot().await, before);
    let dangling = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(
        dangling.is_empty(),
        "{} dangling references",
        dangling.len()
    );
    let (schema,): (String,) = sqlx::query_as(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'referral_updates'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(
        schema.contains("REFERENCES \"referrals\"") || schema.contains("REFERENCES referrals"),
        "{schema}"
    );
    // The rebuilt tables take new history.
    let withdrawn = act(&app, &officer, second, "withdraw", Some("改转民政局")).await;
    assert_eq!(withdrawn.status(), StatusCode::OK);
    assert_eq!(snapshot().await.1.len(), 5);
    app.shutdown().await;
}
