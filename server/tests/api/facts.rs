//! A case's facts edited offline: fields changed on one side merge, a field
//! changed on both sides goes to a conflict list (both versions in the audit
//! log) settled by the case's officer or a supervisor only; an edit sent
//! three times is applied once, the same id with other content is refused;
//! bad input names its field and writes nothing. And the new-lead form's
//! same-person check.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::storage::Db;

use crate::helpers::{assert_error, get, get_json, json_body, on_both, post, urlencode, TestApp};
use crate::visits::{new_case, uuid};

async fn put_edit(
    app: &TestApp,
    client: &Client,
    case_id: i64,
    edit_id: &str,
    body: &Value,
) -> reqwest::Response {
    client
        .put(app.url(&format!("/api/v1/cases/{case_id}/facts/{edit_id}")))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn facts(app: &TestApp, client: &Client, case_id: i64) -> Value {
    get_json(client, app.url(&format!("/api/v1/cases/{case_id}/facts"))).await
}

/// Applies an edit that must be accepted (201); its answer.
async fn edit(app: &TestApp, client: &Client, case_id: i64, base: &Value, changes: Value) -> Value {
    let response = put_edit(
        app,
        client,
        case_id,
        &uuid(),
        &json!({ "base": base, "changes": changes }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json_body(response).await
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

async fn audit_of(app: &TestApp, case_id: i64) -> Vec<Value> {
    let supervisor = app.client_for("zhang.jian").await;
    get_json(
        &supervisor,
        app.url(&format!("/api/v1/audit/case/{case_id}")),
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

#[tokio::test]
async fn changes_on_one_side_merge_and_untouched_facts_stay() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let case_id = new_case(&app, &officer, "周大勇").await;
        let seen = facts(&app, &officer, case_id).await;
        assert_eq!(seen["facts"]["phone"], "13912345678", "the lead's phone");
        assert_eq!(seen["facts"]["address"], Value::Null);
        assert_eq!(seen["can_edit"], true);
        let base = seen["facts"].clone();

        // At the office a supervisor records the address…
        let answer = edit(&app, &supervisor, case_id, &base, json!({ "address": "正阳村三组12号" })).await;
        assert_eq!(answer["applied"], json!(["address"]));
        // …while the officer, offline since, edits other facts from the old base.
        let answer = edit(
            &app,
            &officer,
            case_id,
            &base,
            json!({ "household_members": 4, "monthly_income_fen": 150000, "needs": " 学费 ", "phone": null }),
        )
        .await;
        assert_eq!(
            answer["applied"],
            json!(["phone", "household_members", "monthly_income_fen", "needs"])
        );
        assert_eq!(answer["conflicts"], json!([]));

        let now = facts(&app, &officer, case_id).await;
        assert_eq!(
            now["facts"],
            json!({
                "phone": null,
                "address": "正阳村三组12号",
                "household_members": 4,
                "monthly_income_fen": 150000,
                "dependants": null,
                "hardship": null,
                "needs": "学费"
            })
        );
        assert_eq!(now["conflicts"], json!([]));
        // The phone is the applicant's, so the case shows the change too.
        let case = get_json(&officer, app.url(&format!("/api/v1/cases/{case_id}"))).await;
        assert_eq!(case["applicant"]["phone"], Value::Null);
        let edits = audit_of(&app, case_id)
            .await
            .iter()
            .filter(|e| e["action"] == "case.facts_edited")
            .count();
        assert_eq!(edits, 2);
        app
    })
    .await;
}

#[tokio::test]
async fn a_fact_changed_on_both_sides_becomes_a_conflict_with_both_versions_audited() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let case_id = new_case(&app, &officer, "孙桂兰").await;
        let base = facts(&app, &officer, case_id).await["facts"].clone();

        edit(
            &app,
            &supervisor,
            case_id,
            &base,
            json!({ "monthly_income_fen": 120000, "dependants": 2 }),
        )
        .await;
        let answer = edit(
            &app,
            &officer,
            case_id,
            &base,
            json!({ "monthly_income_fen": 80000, "dependants": 2, "hardship": "丈夫重伤卧床" }),
        )
        .await;
        // The same change on both sides is no conflict; the new one applies.
        assert_eq!(answer["applied"], json!(["hardship"]));
        let conflicts = answer["conflicts"].as_array().unwrap();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0]["field"], "monthly_income_fen");
        assert_eq!(conflicts[0]["base"], Value::Null);
        assert_eq!(conflicts[0]["mine"], 80000);
        assert_eq!(conflicts[0]["theirs"], 120000);
        assert_eq!(conflicts[0]["raised_by"]["name"], "王芳");
        assert_eq!(conflicts[0]["resolution"], Value::Null);
        // Never silently overwritten: the server keeps its value until someone chooses.
        assert_eq!(answer["facts"]["monthly_income_fen"], 120000);

        let now = facts(&app, &supervisor, case_id).await;
        assert_eq!(now["facts"]["monthly_income_fen"], 120000);
        assert_eq!(now["facts"]["hardship"], "丈夫重伤卧床");
        assert_eq!(now["conflicts"].as_array().unwrap().len(), 1);
        assert_eq!(now["conflicts"][0]["id"], conflicts[0]["id"]);

        let audit = audit_of(&app, case_id).await;
        let entry = audit
            .iter()
            .find(|e| e["action"] == "case.facts_conflict")
            .expect("the conflict is audited");
        assert_eq!(entry["entity_id"], conflicts[0]["id"].to_string());
        assert_eq!(entry["before"]["value"], 120000, "theirs");
        assert_eq!(entry["after"]["value"], 80000, "mine");
        assert_eq!(entry["actor"]["name"], "wang.fang");
        app
    })
    .await;
}

/// A case of wang.fang with conflicts on income and needs; their ids.
async fn case_with_conflicts(app: &TestApp) -> (i64, i64, i64) {
    let officer = app.client_for("wang.fang").await;
    let supervisor = app.client_for("zhang.jian").await;
    let case_id = new_case(app, &officer, "钱小川").await;
    let base = facts(app, &officer, case_id).await["facts"].clone();
    edit(
        app,
        &supervisor,
        case_id,
        &base,
        json!({ "monthly_income_fen": 100000, "needs": "医疗费" }),
    )
    .await;
    let answer = edit(
        app,
        &officer,
        case_id,
        &base,
        json!({ "monthly_income_fen": 50000, "needs": "学费" }),
    )
    .await;
    let ids: Vec<i64> = answer["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    (case_id, ids[0], ids[1])
}

async fn resolve(app: &TestApp, client: &Client, id: i64, choice: &str) -> reqwest::Response {
    post(
        client,
        app.url(&format!("/api/v1/fact-conflicts/{id}/resolve")),
        json!({ "choice": choice }),
    )
    .await
}

#[tokio::test]
async fn conflicts_are_settled_by_the_officer_or_a_supervisor_and_no_one_else() {
    on_both(|app| async move {
        app.load_demo().await;
        let (case_id, income, needs) = case_with_conflicts(&app).await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let other_officer = app.client_for("chen.ming").await;
        let committee = app.client_for("vc.zhengyang").await;
        let partner = app.client_for("edu.bureau").await;

        // Another officer is told the case has no such thing; other roles may not.
        assert_error(resolve(&app, &other_officer, income, "mine").await, StatusCode::NOT_FOUND, "not_found").await;
        assert_error(resolve(&app, &committee, income, "mine").await, StatusCode::FORBIDDEN, "forbidden").await;
        assert_error(resolve(&app, &partner, income, "mine").await, StatusCode::FORBIDDEN, "forbidden").await;
        let url = app.url(&format!("/api/v1/cases/{case_id}/facts"));
        assert_eq!(get(&other_officer, url.clone()).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(get(&committee, url.clone()).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(get(&partner, url.clone()).await.status(), StatusCode::FORBIDDEN);
        let body = json!({ "base": {}, "changes": { "address": "别处" } });
        assert_eq!(put_edit(&app, &other_officer, case_id, &uuid(), &body).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(put_edit(&app, &committee, case_id, &uuid(), &body).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            count(&app.db, "SELECT COUNT(*) FROM case_fact_conflicts WHERE case_id = $1 AND choice IS NOT NULL", case_id).await,
            0
        );

        // The officer takes their own income; a supervisor keeps the office's needs.
        let response = resolve(&app, &officer, income, "mine").await;
        assert_eq!(response.status(), StatusCode::OK);
        let settled = json_body(response).await;
        assert_eq!(settled["resolution"]["choice"], "mine");
        assert_eq!(settled["resolution"]["by"]["name"], "王芳");
        let response = resolve(&app, &supervisor, needs, "theirs").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json_body(response).await["resolution"]["by"]["name"], "张建国（检察长）");

        let now = facts(&app, &officer, case_id).await;
        assert_eq!(now["facts"]["monthly_income_fen"], 50000);
        assert_eq!(now["facts"]["needs"], "医疗费");
        assert_eq!(now["conflicts"], json!([]));
        // Once only.
        assert_error(resolve(&app, &supervisor, income, "theirs").await, StatusCode::CONFLICT, "conflict_resolved").await;
        assert_error(resolve(&app, &officer, 999_999, "mine").await, StatusCode::NOT_FOUND, "not_found").await;
        assert_error(resolve(&app, &officer, needs, "both").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;

        let audit = audit_of(&app, case_id).await;
        let resolved: Vec<&Value> = audit
            .iter()
            .filter(|e| e["action"] == "case.facts_conflict_resolved")
            .collect();
        assert_eq!(resolved.len(), 2);
        let income_entry = resolved
            .iter()
            .find(|e| e["entity_id"].as_str() == Some(income.to_string().as_str()))
            .unwrap();
        assert_eq!(income_entry["before"]["value"], 100000);
        assert_eq!(income_entry["after"]["value"], 50000);
        assert_eq!(income_entry["after"]["choice"], "mine");
        app
    })
    .await;
}

#[tokio::test]
async fn an_edit_sent_three_times_is_applied_once_and_a_reused_id_is_refused() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let supervisor = app.client_for("zhang.jian").await;
        let case_id = new_case(&app, &officer, "吴春燕").await;
        let base = facts(&app, &officer, case_id).await["facts"].clone();
        edit(
            &app,
            &supervisor,
            case_id,
            &base,
            json!({ "dependants": 1 }),
        )
        .await;

        let edit_id = uuid();
        let body = json!({ "base": base, "changes": { "dependants": 3, "address": "小店村" } });
        let mut statuses = Vec::new();
        let mut answers = Vec::new();
        for _ in 0..3 {
            let response = put_edit(&app, &officer, case_id, &edit_id, &body).await;
            statuses.push(response.status());
            answers.push(json_body(response).await);
        }
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::OK, StatusCode::OK]
        );
        assert_eq!(answers[0], answers[1], "a replay gets the first answer");
        assert_eq!(answers[0], answers[2]);
        assert_eq!(answers[0]["edit_id"], edit_id.as_str());
        assert_eq!(answers[0]["conflicts"].as_array().unwrap().len(), 1);
        let counts = |sql: &'static str| {
            let db = app.db.clone();
            async move { count(&db, sql, case_id).await }
        };
        assert_eq!(
            counts("SELECT COUNT(*) FROM case_fact_edits WHERE case_id = $1").await,
            2
        );
        assert_eq!(
            counts("SELECT COUNT(*) FROM case_fact_conflicts WHERE case_id = $1").await,
            1
        );
        let audited = audit_of(&app, case_id)
            .await
            .iter()
            .filter(|e| {
                e["action"] == "case.facts_edited" && e["after"]["edit_id"] == edit_id.as_str()
            })
            .count();
        assert_eq!(audited, 1);

        // The same id with other content is refused; nothing changes.
        let other = json!({ "base": base, "changes": { "address": "别的村" } });
        assert_error(
            put_edit(&app, &officer, case_id, &edit_id, &other).await,
            StatusCode::CONFLICT,
            "id_reused",
        )
        .await;
        // Nor may someone else replay it.
        assert_error(
            put_edit(&app, &supervisor, case_id, &edit_id, &body).await,
            StatusCode::CONFLICT,
            "id_reused",
        )
        .await;
        assert_eq!(
            facts(&app, &officer, case_id).await["facts"]["address"],
            "小店村"
        );
        assert_eq!(
            counts("SELECT COUNT(*) FROM case_fact_edits WHERE case_id = $1").await,
            2
        );
        app
    })
    .await;
}

#[tokio::test]
async fn bad_edits_name_the_field_and_write_nothing() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let case_id = new_case(&app, &officer, "郑秀梅").await;
        let before = facts(&app, &officer, case_id).await;
        let base = before["facts"].clone();
        for (changes, field) in [
            (json!({ "dependants": -1 }), "changes.dependants"),
            (
                json!({ "household_members": 1000 }),
                "changes.household_members",
            ),
            (json!({ "phone": "call me" }), "changes.phone"),
            (json!({ "hardship": "很".repeat(2001) }), "changes.hardship"),
            (json!({}), "changes"),
        ] {
            let response = put_edit(
                &app,
                &officer,
                case_id,
                &uuid(),
                &json!({ "base": base, "changes": changes }),
            )
            .await;
            assert_eq!(
                response.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}"
            );
            assert_eq!(json_body(response).await["error"]["field"], field);
        }
        let bad_base = json!({ "base": { "monthly_income_fen": -3 }, "changes": { "needs": "x" } });
        let response = put_edit(&app, &officer, case_id, &uuid(), &bad_base).await;
        assert_eq!(
            json_body(response).await["error"]["field"],
            "base.monthly_income_fen"
        );
        let wrong_type = json!({ "base": base, "changes": { "dependants": "two" } });
        assert_error(
            put_edit(&app, &officer, case_id, &uuid(), &wrong_type).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        )
        .await;
        let unknown = json!({ "base": base, "changes": { "salary": 1 } });
        assert_error(
            put_edit(&app, &officer, case_id, &uuid(), &unknown).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        )
        .await;
        let response = put_edit(
            &app,
            &officer,
            case_id,
            "not-a-uuid",
            &json!({ "base": base, "changes": { "needs": "x" } }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json_body(response).await["error"]["field"], "id");
        let response = officer
            .put(app.url(&format!("/api/v1/cases/{case_id}/facts/{}", uuid())))
            .header("content-type", "application/json")
            .body("{\"base\":")
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "malformed_json").await;
        assert_error(
            put_edit(
                &app,
                &officer,
                999_999,
                &uuid(),
                &json!({ "base": {}, "changes": { "needs": "x" } }),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;

        assert_eq!(
            count(
                &app.db,
                "SELECT COUNT(*) FROM case_fact_edits WHERE case_id = $1",
                case_id
            )
            .await,
            0
        );
        assert_eq!(facts(&app, &officer, case_id).await, before);

        // A withdrawn case takes no more edits.
        let response = post(
            &officer,
            app.url(&format!("/api/v1/cases/{case_id}/transitions")),
            json!({ "action": "withdraw", "comment": "申请人撤回申请" }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(facts(&app, &officer, case_id).await["can_edit"], false);
        let body = json!({ "base": base, "changes": { "needs": "x" } });
        assert_error(
            put_edit(&app, &officer, case_id, &uuid(), &body).await,
            StatusCode::CONFLICT,
            "case_over",
        )
        .await;
        app
    })
    .await;
}

#[tokio::test]
async fn the_same_person_is_found_before_a_lead_is_logged() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let villages = get_json(&officer, app.url("/api/v1/villages")).await;
        let village = villages[0]["id"].as_i64().unwrap();
        let other_village = villages[1]["id"].as_i64().unwrap();
        let id_number = domain::idcard::with_check_char("34042219850315201").unwrap();
        let matches = |query: String| {
            let officer = officer.clone();
            let url = app.url(&format!("/api/v1/people/matches?{query}"));
            async move { officer.get(url).send().await.unwrap() }
        };

        let response = post(
            &officer,
            app.url("/api/v1/leads"),
            json!({
                "channel": "letters_visits",
                "received_on": crate::helpers::today_in_china(),
                "reporter": "村干部",
                "summary": "被害人家庭困难。",
                "people": [{ "name": "冯德胜", "id_number": id_number, "village_id": village }],
                "confirm_duplicate": true
            }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let lead_id = json_body(response).await["id"].as_i64().unwrap();

        let by_id = json_body(matches(format!("id_number={id_number}")).await).await;
        assert_eq!(by_id.as_array().unwrap().len(), 1, "{by_id}");
        assert_eq!(by_id[0]["kind"], "lead");
        assert_eq!(by_id[0]["id"], lead_id);
        assert_eq!(by_id[0]["person_name"], "冯*胜", "names are masked");
        assert_eq!(by_id[0]["matched_by"], "id_number");
        assert_eq!(by_id[0]["status"], "open");
        let by_name =
            json_body(matches(format!("name={}&village_id={village}", urlencode("冯德胜"))).await)
                .await;
        assert_eq!(by_name[0]["matched_by"], "name_village");
        assert_eq!(by_name[0]["id"], lead_id);
        // The same name elsewhere is someone else.
        let elsewhere = json_body(
            matches(format!(
                "name={}&village_id={other_village}",
                urlencode("冯德胜")
            ))
            .await,
        )
        .await;
        assert_eq!(elsewhere, json!([]));

        // Once accepted, the case is what is found.
        let response = post(
            &officer,
            app.url(&format!("/api/v1/leads/{lead_id}/accept")),
            json!({}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let case = json_body(response).await;
        let found = json_body(matches(format!("id_number={id_number}")).await).await;
        assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
        assert_eq!(found[0]["kind"], "case");
        assert_eq!(found[0]["label"], case["number"]);
        assert_eq!(found[0]["status"], "accepted");

        // Bad questions name the field; only those who log leads may ask.
        let response = matches(String::new()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json_body(response).await["error"]["field"], "id_number");
        let response = matches("id_number=12345".into()).await;
        assert_eq!(json_body(response).await["error"]["field"], "id_number");
        let query = app.url(&format!("/api/v1/people/matches?id_number={id_number}"));
        for user in ["zhang.jian", "vc.zhengyang", "edu.bureau"] {
            let client = app.client_for(user).await;
            assert_eq!(
                get(&client, query.clone()).await.status(),
                StatusCode::FORBIDDEN,
                "{user}"
            );
        }
        assert_eq!(
            get(&app.client(), query).await.status(),
            StatusCode::UNAUTHORIZED
        );

        let openapi = get_json(&app.client(), app.url("/api/v1/openapi.json")).await;
        for path in [
            "/api/v1/cases/{id}/facts",
            "/api/v1/cases/{id}/facts/{edit_id}",
            "/api/v1/fact-conflicts/{id}/resolve",
            "/api/v1/people/matches",
        ] {
            assert!(openapi["paths"].get(path).is_some(), "{path} documented");
        }
        app
    })
    .await;
}

#[tokio::test]
async fn the_case_page_renders_the_facts_their_form_and_the_conflicts_to_choose_from() {
    on_both(|app| async move {
        app.load_demo().await;
        let (case_id, _, _) = case_with_conflicts(&app).await;
        let page = |user: &'static str| {
            let app = &app;
            async move {
                let client = app.client_for(user).await;
                let response = get(&client, app.url(&format!("/cases/{case_id}"))).await;
                assert_eq!(response.status(), StatusCode::OK);
                response.text().await.unwrap()
            }
        };
        let html = page("wang.fang").await;
        assert!(html.contains("data-testid=\"case-facts\""), "{html}");
        assert!(html.contains("家庭情况与联系方式"));
        // The form carries the facts it was rendered with: the base of an offline edit.
        assert!(html.contains("data-facts-form"));
        assert!(html.contains("data-base="));
        assert!(html.contains("/facts.js"));
        // Two conflicts, each with both versions to choose from (income in yuan).
        assert_eq!(html.matches("data-testid=\"fact-conflict\"").count(), 2);
        assert!(html.contains("采用该修改：500.00 元"), "mine");
        assert!(html.contains("保留现有：1,000.00 元"), "theirs");
        // A supervisor may settle them too; another officer sees no facts at all.
        let html = page("zhang.jian").await;
        assert_eq!(html.matches("data-choice=\"mine\"").count(), 2);
        let html = page("chen.ming").await;
        assert!(!html.contains("data-testid=\"case-facts\""));
        app
    })
    .await;
}
