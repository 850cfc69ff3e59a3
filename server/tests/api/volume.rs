//! Generated volume data (`jiuzhu demo --cases N`): consistent with what the
//! use cases write, and ordinary work carries on after it.

use domain::case::CaseState;
use domain::idcard::ResidentId;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::config::AppConfig;
use server::service::volume;

use crate::helpers::{json_body, on_both_with};

#[tokio::test]
async fn generated_cases_look_real_and_new_work_numbers_after_them() {
    // Counted exactly past the default cap of 1,000.
    let config = AppConfig {
        case_list_count_cap: 10_000,
        ..AppConfig::default()
    };
    on_both_with(config, |app| async move {
        app.load_demo().await;
        let made = volume::generate(&app.db, &AppConfig::default(), 3_000, 7)
            .await
            .expect("generates");
        assert_eq!(made.cases, 3_000);
        assert!(made.people >= 3_000 && made.events > 3_000);
        let supervisor = app.client_for("zhang.jian").await;
        let get = |path: String| {
            let client = supervisor.clone();
            let url = app.url(&path);
            async move {
                let response = client.get(url).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{path}");
                json_body(response).await
            }
        };
        let all = get("/api/v1/cases".into()).await;
        assert_eq!(all["total"], 3_009, "nine demo cases and the generated ones");
        let years = get("/api/v1/case-years".into()).await;
        assert_eq!(years.as_array().unwrap().len(), 3, "{years}");
        for state in CaseState::ALL {
            let page = get(format!("/api/v1/cases?state={}&per_page=5", state.as_str())).await;
            assert!(page["total"].as_i64().unwrap() > 0, "some case is {state:?}");
            for item in page["items"].as_array().unwrap() {
                let detail = get(format!("/api/v1/cases/{}", item["id"])).await;
                // Full ID numbers for a supervisor, every one valid.
                let id_number = detail["applicant"]["id_number"].as_str().unwrap();
                assert!(ResidentId::parse(id_number).is_ok(), "{id_number}");
                let timeline = detail["timeline"].as_array().unwrap();
                assert_eq!(timeline.last().unwrap()["to_state"], state.as_str());
                // Lines that keep the state (money, referrals) do not restart the clock.
                let moved = timeline
                    .iter()
                    .rev()
                    .find(|e| e["from_state"] != e["to_state"])
                    .unwrap();
                assert_eq!(detail["state_since"], moved["at"]);
                let approved = !detail["approved_amount_fen"].is_null();
                let after_approval = matches!(
                    state,
                    CaseState::Approved | CaseState::Paying | CaseState::FollowingUp
                );
                if after_approval {
                    assert!(approved, "{detail}");
                }
                if matches!(state, CaseState::Accepted | CaseState::Investigating | CaseState::Refused | CaseState::Withdrawn) {
                    assert!(!approved, "{detail}");
                }
            }
        }

        // Real work after the bulk load: the ids and the case numbers carry on.
        let officer = app.client_for("wang.fang").await;
        let villages = json_body(officer.get(app.url("/api/v1/villages")).send().await.unwrap()).await;
        let village = villages[0]["id"].as_i64().unwrap();
        let lead = officer
            .post(app.url("/api/v1/leads"))
            .json(&json!({
                "channel": "other", "received_on": "2026-11-01", "reporter": "本人", "summary": "新线索",
                "people": [{ "name": "新来人", "village_id": village }]
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(lead.status(), StatusCode::CREATED);
        let lead: Value = json_body(lead).await;
        let case = officer
            .post(app.url(&format!("/api/v1/leads/{}/accept", lead["id"])))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(case.status(), StatusCode::CREATED);
        let case: Value = json_body(case).await;
        let this_year = years[0].as_i64().unwrap();
        let in_year = get(format!("/api/v1/cases?year={this_year}&per_page=1")).await;
        let count = in_year["total"].as_i64().unwrap();
        assert_eq!(
            case["number"],
            format!("寿检司救受〔{this_year}〕{count}号"),
            "numbered after every case of the year"
        );
        app
    })
    .await;
}
