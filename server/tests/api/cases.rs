//! Leads and cases: intake, validation, duplicates, acceptance, every transition for every role.

use domain::case::{check_transition, CaseAction, CaseState};
use domain::Role;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use server::storage::Db;

use server::config::AppConfig;

use crate::helpers::{
    assert_error, get_json, json_body, on_both, on_both_with, post, urlencode, TestApp,
};

/// The demo village 小甸村's id.
async fn village_id(app: &TestApp, client: &Client, name: &str) -> i64 {
    let villages = json_body(
        client
            .get(app.url("/api/v1/villages"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    villages
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

fn lead_body(village_id: i64, name: &str, id_number: &str) -> Value {
    json!({
        "channel": "hotline_12309",
        "received_on": "2026-11-01",
        "reporter": "被害人母亲",
        "summary": "被害人受伤致残，家庭困难。",
        "people": [{ "name": name, "id_number": id_number, "village_id": village_id, "phone": "13912345678", "priority_groups": ["minor", "disabled"] }]
    })
}

/// Valid resident ID numbers for tests, by serial.
fn id_number(serial: u32) -> String {
    domain::idcard::with_check_char(&format!("340422201501{:05}", serial)).unwrap()
}

/// Logs a lead for a new person and accepts it; returns the case.
async fn new_case(app: &TestApp, officer: &Client, serial: u32) -> Value {
    let village = village_id(app, officer, "城东村").await;
    let lead = post(
        officer,
        app.url("/api/v1/leads"),
        lead_body(village, &format!("测试{serial}"), &id_number(serial)),
    )
    .await;
    let status = lead.status();
    let lead = json_body(lead).await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    let case = post(
        officer,
        app.url(&format!("/api/v1/leads/{}/accept", lead["id"])),
        json!({}),
    )
    .await;
    assert_eq!(case.status(), StatusCode::CREATED);
    json_body(case).await
}

fn body_for(action: CaseAction) -> Value {
    match action {
        CaseAction::Propose => {
            json!({ "action": "propose", "amount_fen": 2_000_000, "comment": "符合条件" })
        }
        other => json!({ "action": other.as_str(), "comment": "意见" }),
    }
}

/// Drives a case along the shortest path to `state`.
async fn drive_to(
    app: &TestApp,
    officer: &Client,
    supervisor: &Client,
    case_id: i64,
    state: CaseState,
) {
    use CaseAction as A;
    let path: &[A] = match state {
        CaseState::Accepted => &[],
        CaseState::Investigating => &[A::StartInvestigation],
        CaseState::Proposed => &[A::StartInvestigation, A::Propose],
        CaseState::Approved => &[A::StartInvestigation, A::Propose, A::Approve],
        CaseState::Refused => &[A::StartInvestigation, A::Propose, A::Refuse],
        CaseState::Paying => &[
            A::StartInvestigation,
            A::Propose,
            A::Approve,
            A::StartPayment,
        ],
        CaseState::FollowingUp => &[
            A::StartInvestigation,
            A::Propose,
            A::Approve,
            A::StartPayment,
            A::StartFollowUp,
        ],
        CaseState::Closed => &[
            A::StartInvestigation,
            A::Propose,
            A::Approve,
            A::StartPayment,
            A::StartFollowUp,
            A::Close,
        ],
        CaseState::Withdrawn => &[A::Withdraw],
    };
    for action in path {
        let client = if matches!(action, A::Approve | A::Refuse) {
            supervisor
        } else {
            officer
        };
        let response = post(
            client,
            app.url(&format!("/api/v1/cases/{case_id}/transitions")),
            body_for(*action),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{action:?} towards {state:?}"
        );
    }
}

#[tokio::test]
async fn every_transition_is_allowed_or_refused_as_the_rules_say_for_every_role() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let other_officer = app.client_for("chen.ming").await;
        let supervisor = app.client_for("zhang.jian").await;
        let village = app.client_for("vc.xiaodian").await;
        let partner = app.client_for("edu.bureau").await;
        let admin = app.client_for("admin").await;
        let mut serial = 100;
        for state in CaseState::ALL {
            // One case in this state to try the refused actions on; it must not move.
            serial += 1;
            let probe = new_case(&app, &officer, serial).await;
            let probe_id = probe["id"].as_i64().unwrap();
            drive_to(&app, &officer, &supervisor, probe_id, *state).await;
            for action in CaseAction::ALL {
                let url = app.url(&format!("/api/v1/cases/{probe_id}/transitions"));
                for (client, role, label) in [
                    (&officer, Role::Officer, "assigned officer"),
                    (&other_officer, Role::Officer, "other officer"),
                    (&supervisor, Role::Supervisor, "supervisor"),
                ] {
                    let allowed =
                        check_transition(*state, *action, role).is_ok() && label != "other officer";
                    if allowed {
                        // Try it on a fresh case in the same state, so the probe stays put.
                        serial += 1;
                        let fresh = new_case(&app, &officer, serial).await;
                        let fresh_id = fresh["id"].as_i64().unwrap();
                        drive_to(&app, &officer, &supervisor, fresh_id, *state).await;
                        let response = post(
                            client,
                            app.url(&format!("/api/v1/cases/{fresh_id}/transitions")),
                            body_for(*action),
                        )
                        .await;
                        assert_eq!(
                            response.status(),
                            StatusCode::OK,
                            "{label} {action:?} in {state:?}"
                        );
                        let case = json_body(response).await;
                        let expected = action.target(*state).unwrap();
                        assert_eq!(case["state"], expected.as_str());
                        let last = case["timeline"].as_array().unwrap().last().unwrap().clone();
                        assert_eq!(last["action"], action.as_str());
                        assert_eq!(last["from_state"], state.as_str());
                    } else {
                        let response = post(client, url.clone(), body_for(*action)).await;
                        if action.target(*state).is_none() {
                            assert_error(response, StatusCode::CONFLICT, "transition_not_allowed")
                                .await;
                        } else {
                            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
                        }
                    }
                }
                for client in [&village, &partner, &admin] {
                    let response = post(client, url.clone(), body_for(*action)).await;
                    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
                }
            }
            let unchanged = json_body(
                officer
                    .get(app.url(&format!("/api/v1/cases/{probe_id}")))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(
                unchanged["state"],
                state.as_str(),
                "refused actions changed nothing"
            );
        }
        app
    })
    .await;
}

#[tokio::test]
async fn an_officer_logs_a_lead_accepts_it_proposes_and_a_supervisor_approves() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let case = new_case(&app, &officer, 7).await;
        let id = case["id"].as_i64().unwrap();
        let number = case["number"].as_str().unwrap();
        assert!(
            number.starts_with("寿检司救受〔") && number.ends_with("号"),
            "{number}"
        );
        assert_eq!(case["state"], "accepted");
        assert_eq!(
            case["applicant"]["id_number"],
            id_number(7),
            "the assigned officer sees the full number"
        );

        let url = app.url(&format!("/api/v1/cases/{id}/transitions"));
        post(
            &officer,
            url.clone(),
            json!({ "action": "start_investigation" }),
        )
        .await;
        let no_amount = post(
            &officer,
            url.clone(),
            json!({ "action": "propose", "comment": "理由" }),
        )
        .await;
        assert_error(
            no_amount,
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_required",
        )
        .await;
        let negative = post(
            &officer,
            url.clone(),
            json!({ "action": "propose", "amount_fen": -5, "comment": "理由" }),
        )
        .await;
        assert_error(
            negative,
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_not_positive",
        )
        .await;
        let absurd = post(
            &officer,
            url.clone(),
            json!({ "action": "propose", "amount_fen": 100_000_000_000i64, "comment": "理由" }),
        )
        .await;
        assert_error(absurd, StatusCode::UNPROCESSABLE_ENTITY, "amount_too_large").await;
        let proposed = post(
            &officer,
            url.clone(),
            json!({ "action": "propose", "amount_fen": 1_500_000, "comment": "家庭困难" }),
        )
        .await;
        assert_eq!(json_body(proposed).await["proposed_amount_fen"], 1_500_000);

        let inbox = json_body(
            supervisor
                .get(app.url("/api/v1/cases?state=proposed"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id));
        let no_comment = post(&supervisor, url.clone(), json!({ "action": "approve" })).await;
        assert_error(
            no_comment,
            StatusCode::UNPROCESSABLE_ENTITY,
            "comment_required",
        )
        .await;
        let approved = json_body(
            post(
                &supervisor,
                url.clone(),
                json!({ "action": "approve", "comment": "同意" }),
            )
            .await,
        )
        .await;
        assert_eq!(approved["state"], "approved");
        assert_eq!(approved["approved_amount_fen"], 1_500_000);
        let actions: Vec<&str> = approved["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            vec!["accept", "start_investigation", "propose", "approve"]
        );

        let audit = json_body(
            supervisor
                .get(app.url(&format!("/api/v1/audit/case/{id}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            audit.as_array().unwrap().len(),
            4,
            "acceptance and three transitions audited"
        );
        assert_eq!(audit[0]["before"]["state"], "proposed");
        assert_eq!(audit[0]["after"]["state"], "approved");
        app
    })
    .await;
}

#[tokio::test]
async fn bad_leads_are_refused_field_by_field_and_nothing_is_written() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let village = village_id(&app, &officer, "城东村").await;
        let url = app.url("/api/v1/leads");
        let before = json_body(officer.get(url.clone()).send().await.unwrap())
            .await
            .as_array()
            .unwrap()
            .len();

        let mut bad_id = lead_body(village, "王五", &id_number(1));
        bad_id["people"][0]["id_number"] = json!("340422201501000010");
        let checksum = post(&officer, url.clone(), bad_id).await;
        assert_eq!(checksum.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(json_body(checksum).await["error"]["code"]
            .as_str()
            .unwrap()
            .starts_with("id_number_"));

        let mut future = lead_body(village, "王五", &id_number(1));
        future["received_on"] = json!("2999-01-01");
        assert_error(
            post(&officer, url.clone(), future).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "date_in_future",
        )
        .await;

        let mut unknown_village = lead_body(999_999, "王五", &id_number(1));
        unknown_village["people"][0]["village_id"] = json!(999_999);
        assert_error(
            post(&officer, url.clone(), unknown_village).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_village",
        )
        .await;

        let mut referral = lead_body(village, "王五", &id_number(1));
        referral["channel"] = json!("internal_referral");
        assert_error(
            post(&officer, url.clone(), referral).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "department_required",
        )
        .await;

        let mut no_people = lead_body(village, "王五", &id_number(1));
        no_people["people"] = json!([]);
        assert_error(
            post(&officer, url.clone(), no_people).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "people_required",
        )
        .await;

        let after = json_body(officer.get(url.clone()).send().await.unwrap())
            .await
            .as_array()
            .unwrap()
            .len();
        assert_eq!(before, after);
        app
    })
    .await;
}

#[tokio::test]
async fn the_same_person_twice_is_flagged_before_a_duplicate_is_made() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let village = village_id(&app, &officer, "城东村").await;
        let url = app.url("/api/v1/leads");
        assert_eq!(
            post(
                &officer,
                url.clone(),
                lead_body(village, "刘洋", &id_number(42))
            )
            .await
            .status(),
            StatusCode::CREATED
        );

        let by_id = post(
            &officer,
            url.clone(),
            lead_body(village, "刘阳", &id_number(42)),
        )
        .await;
        let body = assert_error(by_id, StatusCode::CONFLICT, "possible_duplicate").await;
        assert_eq!(body["error"]["duplicates"][0]["kind"], "lead");
        let mut by_name = lead_body(village, "刘洋", "");
        by_name["people"][0]["id_number"] = Value::Null;
        assert_error(
            post(&officer, url.clone(), by_name.clone()).await,
            StatusCode::CONFLICT,
            "possible_duplicate",
        )
        .await;

        by_name["confirm_duplicate"] = json!(true);
        assert_eq!(
            post(&officer, url.clone(), by_name).await.status(),
            StatusCode::CREATED
        );
        app
    })
    .await;
}

#[tokio::test]
async fn a_lead_is_accepted_or_declined_once_and_case_numbers_count_up() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let first = new_case(&app, &officer, 201).await;
        let second = new_case(&app, &officer, 202).await;
        let seq = |case: &Value| {
            let n = case["number"].as_str().unwrap();
            n.split('〕')
                .nth(1)
                .unwrap()
                .trim_end_matches('号')
                .parse::<i64>()
                .unwrap()
        };
        assert_eq!(seq(&second), seq(&first) + 1);

        let again = post(
            &officer,
            app.url(&format!("/api/v1/leads/{}/accept", first["lead_id"])),
            json!({}),
        )
        .await;
        assert_error(again, StatusCode::CONFLICT, "lead_not_open").await;
        let decline = post(
            &officer,
            app.url(&format!("/api/v1/leads/{}/decline", first["lead_id"])),
            json!({ "reason": "x" }),
        )
        .await;
        assert_error(decline, StatusCode::CONFLICT, "lead_not_open").await;

        let village = village_id(&app, &officer, "南关村").await;
        let lead = json_body(
            post(
                &officer,
                app.url("/api/v1/leads"),
                lead_body(village, "韩梅", &id_number(203)),
            )
            .await,
        )
        .await;
        let blank = post(
            &officer,
            app.url(&format!("/api/v1/leads/{}/decline", lead["id"])),
            json!({ "reason": " " }),
        )
        .await;
        assert_error(blank, StatusCode::UNPROCESSABLE_ENTITY, "required").await;
        let declined = json_body(
            post(
                &officer,
                app.url(&format!("/api/v1/leads/{}/decline", lead["id"])),
                json!({ "reason": "不符合条件" }),
            )
            .await,
        )
        .await;
        assert_eq!(declined["status"], "declined");
        app
    })
    .await;
}

#[tokio::test]
async fn details_are_masked_for_those_who_do_not_need_them_and_others_are_shut_out() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let case = new_case(&app, &officer, 301).await;
        let id = case["id"].as_i64().unwrap();
        let full = id_number(301);

        // A child is in this case: another officer is refused until they
        // state a reason (privacy.rs tests break-the-glass and the masked
        // view of a case without a child).
        let other = app.client_for("chen.ming").await;
        let response = other
            .get(app.url(&format!("/api/v1/cases/{id}")))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::FORBIDDEN, "protected_case").await;
        let supervisor = app.client_for("zhang.jian").await;
        let seen = json_body(
            supervisor
                .get(app.url(&format!("/api/v1/cases/{id}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(seen["applicant"]["id_number"], full);

        let list = json_body(
            officer
                .get(app.url("/api/v1/cases?q=测试301"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list["total"], 1);
        assert_eq!(
            list["items"][0]["applicant_name"], "测***1",
            "lists mask names"
        );

        for username in ["vc.xiaodian", "edu.bureau", "admin"] {
            let client = app.client_for(username).await;
            for path in [
                "/api/v1/cases".to_string(),
                format!("/api/v1/cases/{id}"),
                "/api/v1/leads".to_string(),
            ] {
                let response = client.get(app.url(&path)).send().await.unwrap();
                assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
            }
        }
        app
    })
    .await;
}

#[tokio::test]
async fn past_the_count_cap_the_list_says_more_than_and_still_pages_through_all() {
    let config = AppConfig {
        case_list_count_cap: 3,
        ..AppConfig::default()
    };
    on_both_with(config, |app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let officer = app.client_for("wang.fang").await;
        let list = |query: String| get_json(&supervisor, app.url(&format!("/api/v1/cases{query}")));
        let first = list("?per_page=4".into()).await;
        assert_eq!(first["total"], 3, "counting stops at the cap: {first}");
        assert_eq!(first["total_exact"], false);
        let everything = all_pages(&app, &supervisor, "").await;
        assert_eq!(everything.len(), 9, "{everything:?}");
        // Past the cap the page is found by walking an index: the whole list,
        // a year's list, and an officer's year each take their own walk, and
        // each must give every matching case once, in the viewer's order.
        let year = case_year(&first["items"][0]);
        let busiest = busiest_officer(&everything);
        for (client, green_first) in [(&supervisor, true), (&officer, false)] {
            for (query, matches) in [
                (
                    String::new(),
                    Box::new(|_: &Value| true) as Box<dyn Fn(&Value) -> bool>,
                ),
                (
                    format!("&year={year}"),
                    Box::new(move |c: &Value| case_year(c) == year),
                ),
                (
                    format!("&year={year}&officer_id={busiest}"),
                    Box::new(move |c: &Value| {
                        case_year(c) == year && c["officer"]["id"] == busiest
                    }),
                ),
            ] {
                let url = app.url(&format!("/api/v1/cases?per_page=4{query}"));
                assert_eq!(
                    get_json(client, url).await["total_exact"],
                    false,
                    "{query} is past the cap"
                );
                // Where a case stands in the viewer's order.
                let place = |c: &Value| {
                    (
                        green_first && c["green_channel"].as_bool().unwrap(),
                        c["updated_at"].as_i64().unwrap(),
                        c["id"].as_i64().unwrap(),
                    )
                };
                let seen: Vec<(bool, i64, i64)> = all_pages(&app, client, &query)
                    .await
                    .iter()
                    .map(place)
                    .collect();
                let mut expected: Vec<(bool, i64, i64)> = everything
                    .iter()
                    .filter(|c| matches(c))
                    .map(place)
                    .collect();
                expected.sort_unstable_by(|a, b| b.cmp(a));
                assert_eq!(
                    seen, expected,
                    "{query}, green first {green_first}: in order, each case once"
                );
            }
        }
        // A filter under the cap is counted exactly.
        let proposed = list("?state=proposed".into()).await;
        assert_eq!(proposed["total_exact"], true);
        assert_eq!(
            proposed["total"].as_i64().unwrap(),
            proposed["items"].as_array().unwrap().len() as i64
        );
        app
    })
    .await;
}

/// Every case of `query`, four to a page, the pages one after the other.
async fn all_pages(app: &TestApp, client: &Client, query: &str) -> Vec<Value> {
    let mut cases = Vec::new();
    for page in 1.. {
        let url = app.url(&format!("/api/v1/cases?per_page=4&page={page}{query}"));
        let items = get_json(client, url).await["items"]
            .as_array()
            .unwrap()
            .clone();
        if items.is_empty() {
            return cases;
        }
        cases.extend(items);
    }
    unreachable!()
}

/// The year of a case, from its number "…〔2026〕3号".
fn case_year(case: &Value) -> i64 {
    let number = case["number"].as_str().unwrap();
    number.split(['〔', '〕']).nth(1).unwrap().parse().unwrap()
}

/// The officer with the most of `cases`.
fn busiest_officer(cases: &[Value]) -> i64 {
    let mut counts = std::collections::BTreeMap::<i64, usize>::new();
    for case in cases {
        *counts
            .entry(case["officer"]["id"].as_i64().unwrap())
            .or_default() += 1;
    }
    counts.into_iter().max_by_key(|(_, n)| *n).unwrap().0
}

#[tokio::test]
async fn the_case_list_filters_and_pages() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let get = |query: &'static str| {
            let officer = officer.clone();
            let url = app.url(&format!("/api/v1/cases{query}"));
            async move { json_body(officer.get(url).send().await.unwrap()).await }
        };
        let all = get("").await;
        let total = all["total"].as_i64().unwrap();
        assert_eq!(total, 9, "the demo has nine cases");
        assert_eq!(all["total_exact"], true);
        // A page past the end is empty and still says how many there are.
        let beyond = get("?page=99").await;
        assert_eq!(beyond["items"].as_array().unwrap().len(), 0, "{beyond}");
        assert_eq!(beyond["total"], 9);
        assert_eq!(beyond["total_exact"], true);
        // An officer's list: latest change first.
        let order: Vec<(i64, i64)> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["updated_at"].as_i64().unwrap(), c["id"].as_i64().unwrap()))
            .collect();
        let mut expected = order.clone();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(order, expected);
        for state in CaseState::ALL.iter().map(|s| s.as_str()) {
            let url = app.url(&format!("/api/v1/cases?state={state}"));
            let page = json_body(officer.get(url).send().await.unwrap()).await;
            assert!(
                page["total"].as_i64().unwrap() >= 1,
                "the demo has a case that is {state}"
            );
            assert!(page["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["state"] == state));
        }
        let minors = get("?priority_group=minor").await;
        assert!(minors["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["priority_groups"]
                .as_array()
                .unwrap()
                .contains(&json!("minor"))));
        let mine = get("?mine=true").await;
        assert!(mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["officer"]["name"] == "王芳"));
        let paged = get("?per_page=3&page=2").await;
        assert_eq!(paged["items"].as_array().unwrap().len(), 3);
        assert_eq!(paged["total"], total);
        let bad = officer
            .get(app.url("/api/v1/cases?state=flying"))
            .send()
            .await
            .unwrap();
        assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_state").await;
        let bad_type = officer
            .get(app.url("/api/v1/cases?page=abc"))
            .send()
            .await
            .unwrap();
        assert_error(bad_type, StatusCode::BAD_REQUEST, "invalid_query").await;
        app
    })
    .await;
}

#[tokio::test]
async fn a_supervisor_confirms_the_green_channel_and_the_inbox_puts_it_first() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let village = village_id(&app, &officer, "城东村").await;
        let plain = new_case(&app, &officer, 501).await;
        let lead = json_body(
            post(
                &officer,
                app.url("/api/v1/leads"),
                lead_body(village, "急需", &id_number(502)),
            )
            .await,
        )
        .await;
        let green = json_body(
            post(
                &officer,
                app.url(&format!("/api/v1/leads/{}/accept", lead["id"])),
                json!({ "green_channel": true }),
            )
            .await,
        )
        .await;
        assert_eq!(green["green_channel"], true);
        assert_eq!(green["green_channel_confirmed"], false);
        let deadline = green["green_channel_deadline"].as_i64().unwrap();
        let accepted = green["accepted_at"].as_i64().unwrap();
        assert_eq!(
            deadline - accepted,
            48 * 3600 * 1000,
            "48 hours from acceptance by default"
        );
        let (green_id, plain_id) = (green["id"].as_i64().unwrap(), plain["id"].as_i64().unwrap());

        assert_error(
            confirm(&app, &officer, green_id).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        let seen = json_body(
            supervisor
                .get(app.url(&format!("/api/v1/cases/{green_id}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(seen["can_confirm_green_channel"], true);
        let confirmed = json_body(confirm(&app, &supervisor, green_id).await).await;
        assert_eq!(confirmed["green_channel_confirmed"], true);
        assert_eq!(confirmed["can_confirm_green_channel"], false);
        assert_eq!(
            confirmed["timeline"].as_array().unwrap().last().unwrap()["action"],
            "confirm_green_channel"
        );
        assert_error(
            confirm(&app, &supervisor, green_id).await,
            StatusCode::CONFLICT,
            "green_channel_not_requested",
        )
        .await;
        assert_error(
            confirm(&app, &supervisor, plain_id).await,
            StatusCode::CONFLICT,
            "green_channel_not_requested",
        )
        .await;

        // Both proposed; the inbox shows the green-channel case first even though it was proposed earlier.
        drive_to(&app, &officer, &supervisor, green_id, CaseState::Proposed).await;
        drive_to(&app, &officer, &supervisor, plain_id, CaseState::Proposed).await;
        let inbox = json_body(
            supervisor
                .get(app.url("/api/v1/cases?state=proposed"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(inbox["items"][0]["id"], green_id);
        app
    })
    .await;
}

async fn confirm(app: &TestApp, client: &Client, id: i64) -> reqwest::Response {
    client
        .post(app.url(&format!("/api/v1/cases/{id}/green-channel/confirm")))
        .send()
        .await
        .unwrap()
}

/// Moves a case's current stage `hours` into the past, as if time had passed.
async fn backdate_stage(app: &TestApp, case_id: i64, hours: i64) {
    let shift = hours * 3_600_000;
    let statements = [
        "UPDATE cases SET state_since = state_since - $1, accepted_at = accepted_at - $1 WHERE id = $2",
        "UPDATE case_events SET at = at - $1 WHERE case_id = $2",
    ];
    for sql in statements {
        match &app.db {
            Db::Sqlite(pool) => {
                sqlx::query(sql)
                    .bind(shift)
                    .bind(case_id)
                    .execute(pool)
                    .await
                    .unwrap();
            }
            Db::Postgres(pool) => {
                sqlx::query(sql)
                    .bind(shift)
                    .bind(case_id)
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
    }
    app.rebuild_rollups().await;
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn stage_clocks_mark_overruns_with_tighter_limits_for_the_green_channel() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let village = village_id(&app, &officer, "城东村").await;
        let plain = new_case(&app, &officer, 601).await;
        let lead = json_body(
            post(
                &officer,
                app.url("/api/v1/leads"),
                lead_body(village, "加急", &id_number(602)),
            )
            .await,
        )
        .await;
        let green = json_body(
            post(
                &officer,
                app.url(&format!("/api/v1/leads/{}/accept", lead["id"])),
                json!({ "green_channel": true }),
            )
            .await,
        )
        .await;
        let (plain_id, green_id) = (plain["id"].as_i64().unwrap(), green["id"].as_i64().unwrap());

        // Fresh cases: the clock runs from acceptance, 3 days ordinary, 4 hours green.
        let hour = 3_600_000;
        let list = get_json(
            &supervisor,
            app.url("/api/v1/cases?state=accepted&per_page=100"),
        )
        .await;
        let find = |id: i64| {
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id)
                .cloned()
                .unwrap()
        };
        let (p, g) = (find(plain_id), find(green_id));
        assert_eq!(p["state_since"], plain["accepted_at"]);
        assert_eq!(
            p["stage_due_at"].as_i64().unwrap() - p["state_since"].as_i64().unwrap(),
            72 * hour
        );
        assert_eq!(
            g["stage_due_at"].as_i64().unwrap() - g["state_since"].as_i64().unwrap(),
            4 * hour
        );
        let overdue = get_json(&supervisor, app.url("/api/v1/cases?overdue=true")).await;
        assert_eq!(overdue["total"], 0, "nothing is late yet: {overdue}");

        // Five hours on: the green case is late, the ordinary one is not.
        backdate_stage(&app, plain_id, 5).await;
        backdate_stage(&app, green_id, 5).await;
        let overdue = get_json(&supervisor, app.url("/api/v1/cases?overdue=true")).await;
        assert_eq!(ids(&overdue), vec![green_id]);
        let detail = get_json(&officer, app.url(&format!("/api/v1/cases/{green_id}"))).await;
        let stages = detail["stages"].as_array().unwrap();
        assert_eq!(stages.len(), 1);
        assert_eq!(stages[0]["state"], "accepted");
        assert_eq!(stages[0]["overdue"], true);
        assert_eq!(stages[0]["limit_ms"], 4 * hour);
        assert!(stages[0]["duration_ms"].as_i64().unwrap() >= 5 * hour);
        assert_eq!(stages[0]["left_at"], Value::Null);

        // A transition starts a new stage with a fresh clock; the old one is kept.
        drive_to(
            &app,
            &officer,
            &supervisor,
            green_id,
            CaseState::Investigating,
        )
        .await;
        let detail = get_json(&officer, app.url(&format!("/api/v1/cases/{green_id}"))).await;
        let stages = detail["stages"].as_array().unwrap();
        assert_eq!(stages.len(), 2);
        assert_eq!(stages[0]["overdue"], true);
        assert!(stages[0]["left_at"].is_i64());
        assert_eq!(stages[1]["state"], "investigating");
        assert_eq!(stages[1]["overdue"], false);
        assert!(detail["state_since"].as_i64().unwrap() > g["state_since"].as_i64().unwrap());
        let overdue = get_json(&supervisor, app.url("/api/v1/cases?overdue=true")).await;
        assert_eq!(overdue["total"], 0);

        // Three days on, the ordinary case is late too.
        backdate_stage(&app, plain_id, 70).await;
        let overdue = get_json(&officer, app.url("/api/v1/cases?overdue=true&mine=true")).await;
        assert_eq!(ids(&overdue), vec![plain_id]);
        app
    })
    .await;
}

#[tokio::test]
async fn a_supervisor_can_turn_down_a_green_channel_request_with_a_reason() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let village = village_id(&app, &officer, "城东村").await;
        let lead = json_body(
            post(
                &officer,
                app.url("/api/v1/leads"),
                lead_body(village, "请求加急", &id_number(611)),
            )
            .await,
        )
        .await;
        let case = json_body(
            post(
                &officer,
                app.url(&format!("/api/v1/leads/{}/accept", lead["id"])),
                json!({ "green_channel": true }),
            )
            .await,
        )
        .await;
        let id = case["id"].as_i64().unwrap();
        let decline = |client: Client, body: Value| {
            let url = app.url(&format!("/api/v1/cases/{id}/green-channel/decline"));
            async move { client.post(url).json(&body).send().await.unwrap() }
        };
        assert_error(
            decline(officer.clone(), json!({ "reason": "不急" })).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        let empty = assert_error(
            decline(supervisor.clone(), json!({ "reason": "  " })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
        )
        .await;
        assert_eq!(empty["error"]["field"], "reason");

        let response = decline(supervisor.clone(), json!({ "reason": "不属于紧急情形" })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let declined = json_body(response).await;
        assert_eq!(declined["green_channel"], false);
        assert_eq!(declined["green_channel_deadline"], Value::Null);
        assert_eq!(declined["can_confirm_green_channel"], false);
        let last = declined["timeline"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["action"], "decline_green_channel");
        assert_eq!(last["comment"], "不属于紧急情形");
        assert_eq!(last["to_state"], "accepted");
        // Ordinary limits now apply.
        assert_eq!(declined["stages"][0]["limit_ms"], 72 * 3_600_000);

        assert_error(
            decline(supervisor.clone(), json!({ "reason": "再次" })).await,
            StatusCode::CONFLICT,
            "green_channel_not_requested",
        )
        .await;
        assert_error(
            confirm(&app, &supervisor, id).await,
            StatusCode::CONFLICT,
            "green_channel_not_requested",
        )
        .await;
        let audit = get_json(&supervisor, app.url(&format!("/api/v1/audit/case/{id}"))).await;
        let entry = audit
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "case.green_channel_declined")
            .expect("audited");
        assert_eq!(entry["before"]["green_channel"], true);
        assert_eq!(entry["after"]["reason"], "不属于紧急情形");
        app
    })
    .await;
}

#[tokio::test]
async fn an_agent_applies_for_a_child_and_the_list_filters_by_officer_and_year() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let village = village_id(&app, &officer, "城东村").await;
        let mut body = lead_body(village, "小明", &id_number(621));
        body["people"].as_array_mut().unwrap().push(json!({
            "name": "李红", "village_id": village, "phone": "13900001111", "priority_groups": ["poor_household"]
        }));
        let lead = json_body(post(&officer, app.url("/api/v1/leads"), body).await).await;
        assert_eq!(lead["people"].as_array().unwrap().len(), 2);
        let accept = |body: Value| {
            let officer = officer.clone();
            let url = app.url(&format!("/api/v1/leads/{}/accept", lead["id"]));
            async move { officer.post(url).json(&body).send().await.unwrap() }
        };
        assert_error(
            accept(json!({ "agent_index": 1 })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "relationship_required",
        )
        .await;
        assert_error(
            accept(json!({ "agent_index": 0, "agent_relationship": "本人" })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "agent_is_applicant",
        )
        .await;
        assert_error(
            accept(json!({ "applicant_index": 5 })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_such_person",
        )
        .await;
        let response = accept(json!({ "agent_index": 1, "agent_relationship": "母亲" })).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let case = json_body(response).await;
        assert_eq!(case["applicant"]["name"], "小明");
        assert_eq!(case["agent"]["name"], "李红");
        assert_eq!(case["agent_relationship"], "母亲");
        // The officer of the case sees the agent's phone in full.
        assert_eq!(case["agent"]["phone"], "13900001111");

        // Officers and years for the filters.
        let officers = get_json(&supervisor, app.url("/api/v1/officers")).await;
        let wang = officers
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "王芳")
            .expect("王芳 is an officer")["id"]
            .as_i64()
            .unwrap();
        assert!(officers
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["name"] != "张建国（检察长）"), "supervisors are not listed");
        let years = get_json(&supervisor, app.url("/api/v1/case-years")).await;
        let this_year = domain::date::china_date(server::storage::now_ms()).0;
        assert_eq!(years, json!([this_year]));
        let by_officer = get_json(
            &supervisor,
            app.url(&format!("/api/v1/cases?officer_id={wang}&per_page=100")),
        )
        .await;
        assert!(by_officer["total"].as_i64().unwrap() >= 1);
        assert!(by_officer["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["officer"]["id"] == wang));
        let all = get_json(&supervisor, app.url("/api/v1/cases")).await;
        let this = get_json(&supervisor, app.url(&format!("/api/v1/cases?year={this_year}"))).await;
        assert_eq!(this["total"], all["total"]);
        let none = get_json(&supervisor, app.url("/api/v1/cases?year=2001")).await;
        assert_eq!(none["total"], 0);
        let village_committee = app.client_for("vc.xiaodian").await;
        let refused = village_committee
            .get(app.url("/api/v1/officers"))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);

        // Older years, several cases in one: each year once, newest first.
        for (sql, year) in [
            ("UPDATE cases SET year = $1 WHERE id IN (SELECT id FROM cases ORDER BY id LIMIT 3)", 2023),
            ("UPDATE cases SET year = $1 WHERE id = (SELECT MIN(id) FROM cases)", 2019),
        ] {
            match &app.db {
                Db::Sqlite(pool) => sqlx::query(sql).bind(year).execute(pool).await.map(|_| ()),
                Db::Postgres(pool) => sqlx::query(sql).bind(year).execute(pool).await.map(|_| ()),
            }
            .unwrap();
        }
        let years = get_json(&supervisor, app.url("/api/v1/case-years")).await;
        assert_eq!(years, json!([this_year, 2023, 2019]));
        app
    })
    .await;
}

#[tokio::test]
async fn search_finds_a_name_by_any_part_and_a_case_by_its_number() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let village = village_id(&app, &officer, "城东村").await;
        let lead = json_body(
            post(
                &officer,
                app.url("/api/v1/leads"),
                lead_body(village, "欧阳晓明明", &id_number(631)),
            )
            .await,
        )
        .await;
        let case = json_body(
            post(
                &officer,
                app.url(&format!("/api/v1/leads/{}/accept", lead["id"])),
                json!({}),
            )
            .await,
        )
        .await;
        let id = case["id"].as_i64().unwrap();
        let number = case["number"].as_str().unwrap().to_string();
        let seq: String = number
            .rsplit('〕')
            .next()
            .unwrap()
            .trim_end_matches('号')
            .to_string();
        let search = |q: String| {
            let officer = officer.clone();
            let url = app.url(&format!("/api/v1/cases?per_page=100&q={}", urlencode(&q)));
            async move { ids(&get_json(&officer, url).await) }
        };
        for q in ["晓明", "欧阳", "明", "欧阳晓明明", "阳晓明明"] {
            assert!(search(q.into()).await.contains(&id), "{q} finds the case");
        }
        for q in ["欧阳晓明明明", "晓红"] {
            assert!(!search(q.into()).await.contains(&id), "{q} does not");
        }
        assert!(
            search(seq.clone()).await.contains(&id),
            "the sequence {seq}"
        );
        assert_eq!(search(number.clone()).await, vec![id], "the whole number");
        let fragment: String = number.chars().skip_while(|c| *c != '〔').collect();
        assert_eq!(search(fragment).await, vec![id], "〔year〕seq号");
        app
    })
    .await;
}

#[tokio::test]
async fn leads_are_listed_by_status_and_channel() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let all = get_json(&officer, app.url("/api/v1/leads")).await;
        let all = all.as_array().unwrap();
        for status in ["open", "accepted", "declined"] {
            let some = get_json(&officer, app.url(&format!("/api/v1/leads?status={status}"))).await;
            let some = some.as_array().unwrap();
            assert!(!some.is_empty(), "the demo has a lead that is {status}");
            assert!(some.iter().all(|l| l["status"] == status));
            assert!(some.len() < all.len());
        }
        let channel = all[0]["channel"].as_str().unwrap().to_string();
        let by_channel = get_json(
            &officer,
            app.url(&format!("/api/v1/leads?channel={channel}")),
        )
        .await;
        let by_channel = by_channel.as_array().unwrap();
        assert!(!by_channel.is_empty());
        assert!(by_channel.iter().all(|l| l["channel"] == channel.as_str()));
        let accepted = get_json(&officer, app.url("/api/v1/leads?status=accepted")).await;
        assert!(
            accepted
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["case_id"].is_i64()),
            "an accepted lead links its case"
        );
        assert_error(
            officer
                .get(app.url("/api/v1/leads?channel=carrier_pigeon"))
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_channel",
        )
        .await;
        app
    })
    .await;
}
