//! Need to know (README "Privacy"): masking in every list, full details on the
//! case page only for its team, break-the-glass and its expiry, the read log
//! of children's cases, redacted and full prints, archiving old closed cases.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::config::AppConfig;
use server::storage::{now_ms, Db};

use crate::helpers::{
    assert_error, get, get_json, json_body, on_both, on_both_with, post, spawn_app_with,
    today_in_china, urlencode, Backend, TestApp,
};
use crate::visits::{jpeg, put_file, put_visit, uuid, visit_body};

/// The demo's child in supervised aid (wang.fang's case, 小甸村) and an adult.
const CHILD: &str = "李小雨";
const ADULT: &str = "张桂兰";
const REASON: &str = "代班处理该案回访，需要核实监护人联系方式";

async fn case_id(app: &TestApp, supervisor: &Client, name: &str) -> i64 {
    let page = get_json(
        supervisor,
        app.url(&format!("/api/v1/cases?q={}", urlencode(name))),
    )
    .await;
    page["items"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a case of {name}: {page}"))
}

/// The child's ID number, as the team sees it.
async fn child_id_number(app: &TestApp, supervisor: &Client, id: i64) -> String {
    let case = get_json(supervisor, app.url(&format!("/api/v1/cases/{id}"))).await;
    let n = case["applicant"]["id_number"].as_str().unwrap().to_string();
    assert_eq!(n.len(), 18);
    n
}

async fn exec(db: &Db, sql: &str, id: i64) {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query(sql).bind(id).execute(pool).await.unwrap();
        }
        Db::Postgres(pool) => {
            sqlx::query(sql).bind(id).execute(pool).await.unwrap();
        }
    }
}

async fn scalar(db: &Db, sql: &str, id: i64) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sql)
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql)
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

/// A masked name keeps its first character and hides the rest but the last.
fn is_masked_name(text: &str) -> bool {
    text.chars().count() >= 2 && text.contains('*')
}

fn assert_masked_person(person: &Value) {
    assert!(
        is_masked_name(person["name"].as_str().unwrap()),
        "name masked: {person}"
    );
    if let Some(n) = person["id_number"].as_str() {
        assert!(n.contains("**********"), "ID number masked: {person}");
    }
    if let Some(p) = person["phone"].as_str() {
        assert!(p.contains("****"), "phone masked: {person}");
    }
}

fn assert_full_person(person: &Value) {
    assert!(!person["name"].as_str().unwrap().contains('*'), "{person}");
    assert!(
        person["id_number"]
            .as_str()
            .is_some_and(|n| !n.contains('*')),
        "{person}"
    );
}

/// A case of wang.fang about a child and her mother, with a consent and a
/// referral to 县教育局; returns (case id, referral id).
async fn referred_child(app: &TestApp, officer: &Client) -> (i64, i64) {
    let villages = get_json(officer, app.url("/api/v1/villages")).await;
    let village = villages[0]["id"].as_i64().unwrap();
    let lead = post(
        officer,
        app.url("/api/v1/leads"),
        json!({
            "channel": "hotline_12309",
            "received_on": today_in_china(),
            "reporter": "被害人母亲",
            "summary": "未成年被害人受伤，家庭困难。",
            "people": [
                { "name": "周小文", "village_id": village, "phone": "13912345678", "priority_groups": ["minor"] },
                { "name": "周玉兰", "village_id": village, "phone": "13987654321" }
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
        json!({ "agent_index": 1, "agent_relationship": "母亲" }),
    )
    .await;
    assert_eq!(case.status(), StatusCode::CREATED);
    let case = json_body(case).await;
    let case_id = case["id"].as_i64().unwrap();
    let person = case["applicant"]["id"].as_i64().unwrap();
    let agencies = get_json(officer, app.url("/api/v1/agencies")).await;
    let edu = agencies
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "县教育局")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let consent = post(
        officer,
        app.url(&format!("/api/v1/cases/{case_id}/consents")),
        json!({ "person_id": person, "given_by": "周玉兰（母亲）", "relationship": "监护人", "signed_on": today_in_china() }),
    )
    .await;
    assert_eq!(consent.status(), StatusCode::CREATED);
    let referral = post(
        officer,
        app.url(&format!("/api/v1/cases/{case_id}/referrals")),
        json!({ "person_id": person, "agency_id": edu, "service": "education_support", "note": "需要复学", "due_on": today_in_china() }),
    )
    .await;
    assert_eq!(referral.status(), StatusCode::CREATED);
    (case_id, json_body(referral).await["id"].as_i64().unwrap())
}

#[tokio::test]
async fn every_list_that_names_people_masks_them_for_everyone() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let (_, referral_id) = referred_child(&app, &officer).await;
        crate::screening::upload_ok(
            &app,
            &officer,
            "screening.csv",
            crate::screening::sample_csv().into_bytes(),
        )
        .await;

        let mut flags_checked = 0;
        for user in ["wang.fang", "chen.ming", "zhang.jian", "li.hong"] {
            let client = app.client_for(user).await;
            // Cases, and a search by a full name.
            for url in [
                "/api/v1/cases?per_page=100".to_string(),
                format!("/api/v1/cases?q={}", urlencode(CHILD)),
            ] {
                let page = get_json(&client, app.url(&url)).await;
                let items = page["items"].as_array().unwrap();
                assert!(!items.is_empty(), "{user} {url}");
                for item in items {
                    assert!(
                        is_masked_name(item["applicant_name"].as_str().unwrap()),
                        "{user}: {item}"
                    );
                }
            }
            // Leads, with their people.
            let leads = get_json(&client, app.url("/api/v1/leads")).await;
            for lead in leads.as_array().unwrap() {
                for person in lead["people"].as_array().unwrap() {
                    assert_masked_person(person);
                }
            }
            // Follow-ups due.
            let due = get_json(&client, app.url("/api/v1/follow-ups")).await;
            for item in due.as_array().unwrap() {
                assert!(
                    is_masked_name(item["applicant_name"].as_str().unwrap()),
                    "{item}"
                );
            }
            // Referrals.
            let referrals = get_json(&client, app.url("/api/v1/referrals")).await;
            for r in referrals.as_array().unwrap() {
                assert!(is_masked_name(r["person_name"].as_str().unwrap()), "{r}");
                assert!(
                    r["phone"].as_str().is_none_or(|p| p.contains("****")),
                    "{r}"
                );
            }
            // Screening flags (a child, adults), for those who screen.
            let response = get(&client, app.url("/api/v1/screening/flags")).await;
            if response.status() == StatusCode::OK {
                flags_checked += 1;
                let flags = json_body(response).await;
                assert!(!flags.as_array().unwrap().is_empty(), "{user}");
                for flag in flags.as_array().unwrap() {
                    assert_masked_person(flag);
                }
            }
            // Supervised children.
            let children = get_json(&client, app.url("/api/v1/money/supervised")).await;
            // chen.ming has no supervised child of his own.
            assert_eq!(
                children.as_array().unwrap().is_empty(),
                user == "chen.ming",
                "{user}: {children}"
            );
            for child in children.as_array().unwrap() {
                assert!(
                    is_masked_name(child["child"]["name"].as_str().unwrap()),
                    "{child}"
                );
                assert!(
                    child["guardian"].as_str().is_none_or(is_masked_name),
                    "{child}"
                );
            }
        }

        assert!(flags_checked > 0, "some user reads the screening flags");

        // The partner agency's list is masked too; the referral's own page
        // gives the agency the phone it needs to call.
        let partner = app.client_for("edu.bureau").await;
        let list = get_json(&partner, app.url("/api/v1/referrals")).await;
        let listed = &list.as_array().unwrap()[0];
        assert_eq!(listed["person_name"], "周*文");
        assert_eq!(listed["phone"], "139****5678");
        let one = get_json(
            &partner,
            app.url(&format!("/api/v1/referrals/{referral_id}")),
        )
        .await;
        assert_eq!(one["phone"], "13912345678");

        // The village committee's supervised children.
        let committee = app.client_for("vc.xiaodian").await;
        let children = get_json(&committee, app.url("/api/v1/money/supervised")).await;
        assert_eq!(children[0]["child"]["name"], "李*雨");
        app
    })
    .await;
}

#[tokio::test]
async fn full_details_on_the_case_page_only_for_the_assigned_officer_and_supervisors() {
    on_both(|app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let child = case_id(&app, &supervisor, CHILD).await;
        let adult = case_id(&app, &supervisor, ADULT).await;
        // The permission matrix's column "full details visible":
        // (user, case, Ok(full) | Err(status, code)).
        type Expect = Result<bool, (StatusCode, &'static str)>;
        let forbidden: Expect = Err((StatusCode::FORBIDDEN, "forbidden"));
        let matrix: Vec<(&str, i64, Expect)> = vec![
            ("wang.fang", child, Ok(true)),
            ("zhang.jian", child, Ok(true)),
            ("li.hong", child, Ok(true)),
            (
                "chen.ming",
                child,
                Err((StatusCode::FORBIDDEN, "protected_case")),
            ),
            ("vc.xiaodian", child, forbidden),
            ("edu.bureau", child, forbidden),
            ("admin", child, forbidden),
            ("wang.fang", adult, Ok(true)),
            ("li.hong", adult, Ok(true)),
            ("chen.ming", adult, Ok(false)),
            ("vc.xiaodian", adult, forbidden),
            ("admin", adult, forbidden),
        ];
        for (user, id, expected) in matrix {
            let client = app.client_for(user).await;
            let response = get(&client, app.url(&format!("/api/v1/cases/{id}"))).await;
            match expected {
                Ok(full) => {
                    assert_eq!(response.status(), StatusCode::OK, "{user} on case {id}");
                    let case = json_body(response).await;
                    assert_eq!(case["full_details"], full, "{user} on case {id}");
                    assert_eq!(case["protected"], id == child);
                    if full {
                        assert_full_person(&case["applicant"]);
                        assert!(case["applicant"]["phone"]
                            .as_str()
                            .is_none_or(|p| !p.contains('*')));
                    } else {
                        assert_masked_person(&case["applicant"]);
                    }
                }
                Err((status, code)) => {
                    assert_error(response, status, code).await;
                }
            }
        }
        app
    })
    .await;
}

#[tokio::test]
async fn break_the_glass_opens_a_childs_case_with_a_reason_until_it_expires() {
    on_both(|app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let other = app.client_for("chen.ming").await;
        let own = app.client_for("wang.fang").await;
        let child = case_id(&app, &supervisor, CHILD).await;
        let adult = case_id(&app, &supervisor, ADULT).await;
        let case_url = app.url(&format!("/api/v1/cases/{child}"));
        let access_url = app.url(&format!("/api/v1/cases/{child}/access"));

        assert_error(
            get(&other, case_url.clone()).await,
            StatusCode::FORBIDDEN,
            "protected_case",
        )
        .await;
        // The child's money and papers, too.
        let document = scalar(
            &app.db,
            "SELECT MIN(id) FROM money_documents WHERE case_id = $1",
            child,
        )
        .await;
        let money_url = app.url(&format!("/api/v1/cases/{child}/money"));
        let document_url = app.url(&format!("/api/v1/money/documents/{document}"));
        assert_error(
            get(&other, money_url.clone()).await,
            StatusCode::FORBIDDEN,
            "protected_case",
        )
        .await;
        assert_error(
            get(&other, document_url.clone()).await,
            StatusCode::FORBIDDEN,
            "protected_case",
        )
        .await;
        let body = assert_error(
            post(&other, access_url.clone(), json!({ "reason": "  看看  " })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_too_short",
        )
        .await;
        assert_eq!(body["error"]["field"], "reason");
        assert_error(
            post(&own, access_url.clone(), json!({ "reason": REASON })).await,
            StatusCode::CONFLICT,
            "in_team",
        )
        .await;
        assert_error(
            post(
                &other,
                app.url(&format!("/api/v1/cases/{adult}/access")),
                json!({ "reason": REASON }),
            )
            .await,
            StatusCode::CONFLICT,
            "not_protected",
        )
        .await;
        let partner = app.client_for("edu.bureau").await;
        assert_error(
            post(&partner, access_url.clone(), json!({ "reason": REASON })).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert_eq!(
            scalar(
                &app.db,
                "SELECT COUNT(*) FROM access_grants WHERE case_id = $1",
                child
            )
            .await,
            0
        );

        let response = post(&other, access_url.clone(), json!({ "reason": REASON })).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let grant = json_body(response).await;
        assert_eq!(grant["kind"], "case_access");
        assert_eq!(grant["reason"], REASON);
        assert_eq!(grant["active"], true);
        let lifetime =
            grant["expires_at"].as_i64().unwrap() - grant["granted_at"].as_i64().unwrap();
        assert_eq!(lifetime, 3 * 3600 * 1000, "three hours by default");

        let case = get_json(&other, case_url.clone()).await;
        assert_eq!(case["full_details"], true);
        assert_eq!(
            case["applicant"]["id_number"],
            child_id_number(&app, &supervisor, child).await
        );
        assert_eq!(case["access_expires_at"], grant["expires_at"]);
        assert_eq!(
            case["can_print_full"], false,
            "a grant is not a place in the team"
        );
        assert_eq!(
            get(&other, money_url.clone()).await.status(),
            StatusCode::OK
        );

        // The reason is audited with the grant.
        let audit = get_json(&supervisor, app.url(&format!("/api/v1/audit/case/{child}"))).await;
        let entry = audit
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "case.access_granted")
            .expect("audit entry of the grant");
        assert_eq!(entry["after"]["reason"], REASON);
        assert_eq!(entry["actor"]["name"], "chen.ming");

        // Supervisors see the grants; officers do not.
        let grants = get_json(&supervisor, app.url("/api/v1/access-grants")).await;
        assert_eq!(grants[0]["id"], grant["id"]);
        assert_eq!(grants[0]["user"]["name"], "陈明");
        assert_eq!(grants[0]["case_id"], child);
        assert_error(
            get(&other, app.url("/api/v1/access-grants")).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;

        // Once expired, the case is closed to them again, and the list says so.
        exec(
            &app.db,
            &format!(
                "UPDATE access_grants SET expires_at = {} WHERE id = $1",
                now_ms() - 1
            ),
            grant["id"].as_i64().unwrap(),
        )
        .await;
        assert_error(
            get(&other, case_url.clone()).await,
            StatusCode::FORBIDDEN,
            "protected_case",
        )
        .await;
        let grants = get_json(
            &supervisor,
            app.url("/api/v1/access-grants?kind=case_access"),
        )
        .await;
        assert_eq!(grants[0]["id"], grant["id"]);
        assert_eq!(grants[0]["active"], false, "expired grants stay listed");
        app
    })
    .await;
}

#[tokio::test]
async fn a_grant_lasts_as_long_as_configured() {
    let config = AppConfig {
        break_glass: Duration::from_millis(1500),
        ..AppConfig::default()
    };
    on_both_with(config, |app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let other = app.client_for("chen.ming").await;
        let child = case_id(&app, &supervisor, CHILD).await;
        let grant = json_body(
            post(
                &other,
                app.url(&format!("/api/v1/cases/{child}/access")),
                json!({ "reason": REASON }),
            )
            .await,
        )
        .await;
        assert_eq!(
            grant["expires_at"].as_i64().unwrap() - grant["granted_at"].as_i64().unwrap(),
            1500
        );
        let url = app.url(&format!("/api/v1/cases/{child}"));
        assert_eq!(get(&other, url.clone()).await.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(1700)).await;
        assert_error(
            get(&other, url).await,
            StatusCode::FORBIDDEN,
            "protected_case",
        )
        .await;
        app
    })
    .await;
}

#[tokio::test]
async fn every_read_of_a_childs_file_is_logged_and_supervisors_see_who_looked() {
    on_both(|app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let own = app.client_for("wang.fang").await;
        let other = app.client_for("chen.ming").await;
        let child = case_id(&app, &supervisor, CHILD).await;
        let adult = case_id(&app, &supervisor, ADULT).await;
        let reads = |app: &TestApp| app.url(&format!("/api/v1/cases/{child}/reads"));

        // A photo of a home visit on the child's case.
        let visit_id = uuid();
        let photo_id = uuid();
        assert_eq!(
            put_visit(&app, &own, child, &visit_id, &visit_body("home_visit"))
                .await
                .status(),
            StatusCode::CREATED
        );
        assert_eq!(
            put_file(&app, &own, &visit_id, &photo_id, "photo", jpeg(3))
                .await
                .status(),
            StatusCode::CREATED
        );
        let document = scalar(
            &app.db,
            "SELECT MIN(id) FROM money_documents WHERE case_id = $1",
            child,
        )
        .await;
        // Writing is not reading: nothing logged yet.
        assert_eq!(
            get_json(&supervisor, reads(&app))
                .await
                .as_array()
                .unwrap()
                .len(),
            0
        );

        // The case page, the photo (with a spoofed forwarding header), the document, the print.
        get_json(&own, app.url(&format!("/api/v1/cases/{child}"))).await;
        let response = own
            .get(app.url(&format!("/api/v1/visits/{visit_id}/files/{photo_id}")))
            .header("x-forwarded-for", "203.0.113.9")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let response = get(
            &own,
            app.url(&format!("/api/v1/money/documents/{document}")),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        get_json(&own, app.url(&format!("/api/v1/cases/{child}/print"))).await;
        // Break-the-glass read by another officer.
        let grant = json_body(
            post(
                &other,
                app.url(&format!("/api/v1/cases/{child}/access")),
                json!({ "reason": REASON }),
            )
            .await,
        )
        .await;
        get_json(&other, app.url(&format!("/api/v1/cases/{child}"))).await;
        // A refused read leaves no read behind; an adult's case is not logged.
        let partner = app.client_for("edu.bureau").await;
        assert_eq!(
            get(&partner, app.url(&format!("/api/v1/cases/{child}")))
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        get_json(&own, app.url(&format!("/api/v1/cases/{adult}"))).await;
        assert_eq!(
            scalar(
                &app.db,
                "SELECT COUNT(*) FROM read_log WHERE case_id = $1",
                adult
            )
            .await,
            0
        );

        let log = get_json(&supervisor, reads(&app)).await;
        let log = log.as_array().unwrap();
        let seen: Vec<(String, String, bool)> = log
            .iter()
            .rev()
            .map(|r| {
                (
                    r["user"]["name"].as_str().unwrap().to_string(),
                    r["what"].as_str().unwrap().to_string(),
                    r["full_details"].as_bool().unwrap(),
                )
            })
            .collect();
        let expected: Vec<(String, String, bool)> = [
            ("王芳", "case_page", true),
            ("王芳", "photo", true),
            ("王芳", "document", true),
            ("王芳", "print", false),
            ("陈明", "case_page", true),
        ]
        .iter()
        .map(|(u, w, f)| (u.to_string(), w.to_string(), *f))
        .collect();
        assert_eq!(seen, expected);
        let oldest_first: Vec<&Value> = log.iter().rev().collect();
        assert_eq!(oldest_first[1]["item"], photo_id.as_str());
        assert_eq!(oldest_first[2]["item"], document.to_string().as_str());
        assert_eq!(oldest_first[4]["grant_id"], grant["id"]);
        for entry in log {
            // From where: the peer; a forwarding header from an untrusted peer is ignored.
            assert_eq!(entry["client_addr"], "127.0.0.1", "{entry}");
            assert!(entry["at"].as_i64().unwrap() > 0);
        }

        // Only supervisors read the log.
        assert_error(
            get(&own, reads(&app)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        app
    })
    .await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_address_is_logged() {
    let config = AppConfig {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..AppConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    app.load_demo().await;
    let supervisor = app.client_for("zhang.jian").await;
    let own = app.client_for("wang.fang").await;
    let child = case_id(&app, &supervisor, CHILD).await;
    let response = own
        .get(app.url(&format!("/api/v1/cases/{child}")))
        // The client claimed 1.2.3.4 itself; the proxy appended what it saw.
        .header("x-forwarded-for", "1.2.3.4, 198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let log = get_json(
        &supervisor,
        app.url(&format!("/api/v1/cases/{child}/reads")),
    )
    .await;
    assert_eq!(log[0]["client_addr"], "198.51.100.7");
    app.shutdown().await;
}

#[tokio::test]
async fn prints_are_redacted_unless_the_team_states_a_purpose_and_the_full_print_is_audited() {
    on_both(|app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let own = app.client_for("wang.fang").await;
        let other = app.client_for("chen.ming").await;
        let child = case_id(&app, &supervisor, CHILD).await;
        let id_number = child_id_number(&app, &supervisor, child).await;
        let print_url = app.url(&format!("/api/v1/cases/{child}/print"));
        let disclose_url = app.url(&format!("/api/v1/cases/{child}/disclosures"));

        // Redacted by default.
        let print = get_json(&own, print_url.clone()).await;
        assert_eq!(print["full"], false);
        assert_eq!(print["purpose"], Value::Null);
        assert_eq!(print["case"]["applicant"]["name"], "李*雨");
        assert_eq!(
            print["case"]["applicant"]["id_number"],
            format!("{}**********{}", &id_number[..4], &id_number[14..])
        );
        assert_masked_person(&print["case"]["agent"]);
        assert_eq!(print["case"]["summary"], "");
        assert_eq!(print["case"]["proposal_reasoning"], Value::Null);
        assert_eq!(print["case"]["criminal_case_ref"], Value::Null);
        assert!(print["case"]["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["comment"].is_null()));
        // What statistics and a meeting need stays.
        assert_eq!(print["case"]["approved_amount_fen"], 3_000_000);
        assert_eq!(print["case"]["village"]["name"], "小甸村");
        assert_eq!(print["printed_by"]["name"], "王芳");
        let text = print.to_string();
        assert!(
            !text.contains(CHILD) && !text.contains(&id_number),
            "{text}"
        );

        // The full version needs a stated purpose ...
        assert_error(
            post(&own, disclose_url.clone(), json!({ "purpose": "打印" })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_too_short",
        )
        .await;
        assert_error(
            get(
                &own,
                app.url(&format!("/api/v1/cases/{child}/print?disclosure=999")),
            )
            .await,
            StatusCode::FORBIDDEN,
            "disclosure_not_valid",
        )
        .await;
        // ... and the right role: not another officer, even with a grant to read it.
        post(
            &other,
            app.url(&format!("/api/v1/cases/{child}/access")),
            json!({ "reason": REASON }),
        )
        .await;
        assert_error(
            post(
                &other,
                disclose_url.clone(),
                json!({ "purpose": "提交审委会讨论，需要完整信息" }),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;

        let purpose = "报送县民政局办理低保，需完整身份信息";
        let response = post(
            &own,
            disclose_url.clone(),
            json!({ "purpose": purpose, "what": "print" }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let grant = json_body(response).await;
        assert_eq!(grant["kind"], "print");
        let grant_id = grant["id"].as_i64().unwrap();
        let full_url = app.url(&format!(
            "/api/v1/cases/{child}/print?disclosure={grant_id}"
        ));
        // Another user cannot ride on it.
        assert_eq!(
            get(&other, full_url.clone()).await.status(),
            StatusCode::FORBIDDEN
        );

        let print = get_json(&own, full_url.clone()).await;
        assert_eq!(print["full"], true);
        assert_eq!(print["purpose"], purpose);
        assert_eq!(print["case"]["applicant"]["name"], CHILD);
        assert_eq!(print["case"]["applicant"]["id_number"], id_number);
        assert!(!print["case"]["summary"].as_str().unwrap().is_empty());

        // Audited: the grant with its purpose, and the full print in the read log.
        let audit = get_json(&supervisor, app.url(&format!("/api/v1/audit/case/{child}"))).await;
        let entry = audit
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "case.full_disclosure_granted")
            .expect("audit entry of the disclosure");
        assert_eq!(entry["after"]["reason"], purpose);
        assert_eq!(entry["after"]["kind"], "print");
        let log = get_json(
            &supervisor,
            app.url(&format!("/api/v1/cases/{child}/reads")),
        )
        .await;
        assert_eq!(log[0]["what"], "print");
        assert_eq!(log[0]["full_details"], true);
        assert_eq!(log[0]["grant_id"], grant_id);

        // The grant is short-lived.
        exec(
            &app.db,
            &format!(
                "UPDATE access_grants SET expires_at = {} WHERE id = $1",
                now_ms() - 1
            ),
            grant_id,
        )
        .await;
        assert_error(
            get(&own, full_url).await,
            StatusCode::FORBIDDEN,
            "disclosure_not_valid",
        )
        .await;
        app
    })
    .await;
}

#[tokio::test]
async fn archiving_removes_personal_details_of_old_closed_cases_and_keeps_the_figures() {
    on_both(|app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let closed = case_id(&app, &supervisor, "孙立平").await;
        let before = get_json(&supervisor, app.url(&format!("/api/v1/cases/{closed}"))).await;
        assert_eq!(before["state"], "closed");
        let total_before = get_json(&supervisor, app.url("/api/v1/cases")).await["total"].clone();

        // Nothing is old enough yet.
        let none = server::service::privacy::archive_closed_cases(&app.db, 10, false)
            .await
            .unwrap();
        assert_eq!(none.archived, 0);

        // Closed eleven years ago.
        exec(
            &app.db,
            &format!(
                "UPDATE cases SET state_since = {} WHERE id = $1",
                now_ms() - 11 * 366 * 86_400_000
            ),
            closed,
        )
        .await;
        let dry = server::service::privacy::archive_closed_cases(&app.db, 10, true)
            .await
            .unwrap();
        assert_eq!((dry.due, dry.archived), (1, 0));
        let done = server::service::privacy::archive_closed_cases(&app.db, 10, false)
            .await
            .unwrap();
        assert_eq!((done.due, done.archived), (1, 1));
        let again = server::service::privacy::archive_closed_cases(&app.db, 10, false)
            .await
            .unwrap();
        assert_eq!((again.due, again.archived), (0, 0), "idempotent");

        let after = get_json(&supervisor, app.url(&format!("/api/v1/cases/{closed}"))).await;
        assert!(after["archived_at"].as_i64().is_some());
        assert_eq!(after["applicant"]["name"], "孙*");
        assert_eq!(after["applicant"]["id_number"], Value::Null);
        assert_eq!(after["applicant"]["phone"], Value::Null);
        assert_eq!(after["summary"], "");
        assert_eq!(after["criminal_case_ref"], Value::Null);
        assert!(after["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["comment"].is_null()));
        for kept in [
            "state",
            "channel",
            "village",
            "officer",
            "approved_amount_fen",
            "proposed_amount_fen",
            "accepted_at",
            "green_channel",
        ] {
            assert_eq!(after[kept], before[kept], "{kept} kept");
        }
        assert_eq!(
            after["applicant"]["priority_groups"],
            before["applicant"]["priority_groups"]
        );
        assert_eq!(
            after["timeline"].as_array().unwrap().len(),
            before["timeline"].as_array().unwrap().len()
        );
        assert_eq!(
            get_json(&supervisor, app.url("/api/v1/cases")).await["total"],
            total_before
        );
        // The name is no longer found, and the archiving is audited.
        let found = get_json(
            &supervisor,
            app.url(&format!("/api/v1/cases?q={}", urlencode("孙立平"))),
        )
        .await;
        assert_eq!(found["total"], 0);
        let audit = get_json(
            &supervisor,
            app.url(&format!("/api/v1/audit/case/{closed}")),
        )
        .await;
        assert!(audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "case.archived"));
        app
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_lists_the_privacy_routes() {
    let doc = serde_json::to_value(server::http::openapi()).unwrap();
    for path in [
        "/api/v1/cases/{id}/access",
        "/api/v1/cases/{id}/disclosures",
        "/api/v1/disclosures",
        "/api/v1/cases/{id}/print",
        "/api/v1/access-grants",
        "/api/v1/cases/{id}/reads",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}

async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_pages_render_on_the_server_and_their_reads_are_logged_with_the_visitors_address() {
    let config = AppConfig {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..AppConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    app.load_demo().await;
    let supervisor = app.client_for("zhang.jian").await;
    let own = app.client_for("wang.fang").await;
    let other = app.client_for("chen.ming").await;
    let child = case_id(&app, &supervisor, CHILD).await;

    // The case page, rendered on the server for a visitor behind the proxy:
    // the in-process API call logs the visitor's address, not the server's.
    let response = own
        .get(app.url(&format!("/cases/{child}")))
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains(CHILD), "the team sees the name");
    assert!(html.contains("data-testid=\"print-link\""));
    let log = get_json(
        &supervisor,
        app.url(&format!("/api/v1/cases/{child}/reads")),
    )
    .await;
    // The page shows the money section too: both reads, once each (the
    // renderer asks again as its data arrives; the page answers from the
    // first), from the visitor.
    let mut what: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["what"].as_str().unwrap())
        .collect();
    what.sort_unstable();
    assert_eq!(
        what,
        ["case_page", "money"],
        "one page view, one read of each"
    );
    for entry in log.as_array().unwrap() {
        assert_eq!(entry["client_addr"], "198.51.100.7", "{entry}");
    }

    // Another officer gets the break-the-glass form, not the case.
    let html = page(&app, &other, &format!("/cases/{child}")).await;
    assert!(html.contains("data-testid=\"break-glass\""), "{html}");
    assert!(!html.contains(CHILD));

    // The print page is redacted, and offers the team the full version.
    let html = page(&app, &own, &format!("/cases/{child}/print")).await;
    assert!(html.contains("data-full=\"false\""));
    assert!(html.contains("李*雨") && !html.contains(CHILD));
    assert!(html.contains("data-testid=\"full-print\""));

    // Supervisors' pages: the grants, and who read the case.
    post(
        &other,
        app.url(&format!("/api/v1/cases/{child}/access")),
        json!({ "reason": REASON }),
    )
    .await;
    let html = page(&app, &supervisor, "/access").await;
    assert!(html.contains(REASON) && html.contains("陈明"), "{html}");
    let html = page(&app, &supervisor, &format!("/cases/{child}/reads")).await;
    assert!(html.contains("198.51.100.7") && html.contains("王芳"));
    app.shutdown().await;
}

/// The read log of a case, oldest first: (who, what, in full, grant).
async fn reads_of(
    app: &TestApp,
    supervisor: &Client,
    case: i64,
) -> Vec<(String, String, bool, Value)> {
    let log = get_json(supervisor, app.url(&format!("/api/v1/cases/{case}/reads"))).await;
    log.as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|r| {
            assert_eq!(r["client_addr"], "127.0.0.1", "{r}");
            (
                r["user"]["name"].as_str().unwrap().to_string(),
                r["what"].as_str().unwrap().to_string(),
                r["full_details"].as_bool().unwrap(),
                r["grant_id"].clone(),
            )
        })
        .collect()
}

fn read(who: &str, what: &str, full: bool, grant: Value) -> (String, String, bool, Value) {
    (who.to_string(), what.to_string(), full, grant)
}

#[tokio::test]
async fn opening_a_childs_money_is_read_logged_like_the_case_page() {
    on_both(|app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let own = app.client_for("wang.fang").await;
        let other = app.client_for("chen.ming").await;
        let committee = app.client_for("vc.xiaodian").await;
        let child = case_id(&app, &supervisor, CHILD).await;
        let adult = case_id(&app, &supervisor, ADULT).await;
        let money = |id: i64| app.url(&format!("/api/v1/cases/{id}/money"));

        // The team and the child's village committee: in full, logged.
        let view = get_json(&own, money(child)).await;
        assert_eq!(view["child"]["name"], CHILD);
        let view = get_json(&committee, money(child)).await;
        assert_eq!(view["child"]["name"], CHILD);
        // Another officer: refused, and a refusal is not a read.
        assert_error(
            get(&other, money(child)).await,
            StatusCode::FORBIDDEN,
            "protected_case",
        )
        .await;
        assert_eq!(reads_of(&app, &supervisor, child).await.len(), 2);
        // Through a grant: in full, logged with the grant.
        let grant = json_body(
            post(
                &other,
                app.url(&format!("/api/v1/cases/{child}/access")),
                json!({ "reason": REASON }),
            )
            .await,
        )
        .await;
        let view = get_json(&other, money(child)).await;
        assert_eq!(view["child"]["name"], CHILD);
        // A change answers with the money section: that is a read too.
        let response = post(
            &own,
            app.url(&format!("/api/v1/cases/{child}/money/spending")),
            json!({ "amount_fen": 100, "purpose": "other", "spent_on": today_in_china() }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        // The supervisors' list of supervised children is not a read of one.
        get_json(&supervisor, app.url("/api/v1/money/supervised")).await;

        assert_eq!(
            reads_of(&app, &supervisor, child).await,
            vec![
                read("王芳", "money", true, Value::Null),
                read("小甸村村委会", "money", true, Value::Null),
                read("陈明", "money", true, grant["id"].clone()),
                read("王芳", "money", true, Value::Null),
            ]
        );

        // An adult's case: another officer sees its money with names masked,
        // and nothing is logged.
        let view = get_json(&other, money(adult)).await;
        assert!(
            is_masked_name(view["child"]["name"].as_str().unwrap()),
            "{view}"
        );
        assert!(!view.to_string().contains(ADULT), "{view}");
        let view = get_json(&own, money(adult)).await;
        assert_eq!(view["child"]["name"], ADULT);
        assert_eq!(reads_of(&app, &supervisor, adult).await.len(), 0);
        app
    })
    .await;
}

#[tokio::test]
async fn a_leads_people_in_full_only_for_who_recorded_it_who_was_assigned_it_and_supervisors() {
    on_both(|app| async move {
        app.load_demo().await;
        let recorder = app.client_for("wang.fang").await;
        let other = app.client_for("chen.ming").await;
        let villages = get_json(&recorder, app.url("/api/v1/villages")).await;
        let village = villages[0]["id"].as_i64().unwrap();
        let id_number = domain::idcard::with_check_char("34042220160315077").unwrap();
        let lead = post(
            &recorder,
            app.url("/api/v1/leads"),
            json!({
                "channel": "hotline_12309",
                "received_on": today_in_china(),
                "reporter": "被害人母亲",
                "summary": "未成年被害人受伤，家庭困难。",
                "people": [{ "name": "吴小燕", "id_number": id_number, "village_id": village,
                             "phone": "13912345678", "priority_groups": ["minor"] }],
                "confirm_duplicate": true
            }),
        )
        .await;
        assert_eq!(lead.status(), StatusCode::CREATED);
        let lead = json_body(lead).await;
        assert_eq!(lead["full_details"], true, "the recorder's answer");
        let url = app.url(&format!("/api/v1/leads/{}", lead["id"]));

        let full = |lead: &Value| {
            let person = &lead["people"][0];
            assert_eq!(lead["full_details"], true, "{lead}");
            assert_eq!(person["name"], "吴小燕");
            assert_eq!(person["id_number"], id_number.as_str());
            assert_eq!(person["phone"], "13912345678");
        };
        let masked = |lead: &Value| {
            let person = &lead["people"][0];
            assert_eq!(lead["full_details"], false, "{lead}");
            assert_eq!(person["name"], "吴*燕");
            assert_eq!(
                person["id_number"],
                format!("{}**********{}", &id_number[..4], &id_number[14..])
            );
            assert_eq!(person["phone"], "139****5678");
        };
        full(&get_json(&recorder, url.clone()).await);
        for supervisor in ["zhang.jian", "li.hong"] {
            full(&get_json(&app.client_for(supervisor).await, url.clone()).await);
        }
        // Another officer: the shared pool, masked...
        masked(&get_json(&other, url.clone()).await);
        // ... and in every list, for everyone.
        for client in [&recorder, &other] {
            let list = get_json(client, app.url("/api/v1/leads")).await;
            let listed = list
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["id"] == lead["id"])
                .unwrap();
            assert_eq!(listed["full_details"], false);
            assert_masked_person(&listed["people"][0]);
        }
        // He may still accept it; then he is assigned and sees it in full.
        let case = post(
            &other,
            app.url(&format!("/api/v1/leads/{}/accept", lead["id"])),
            json!({}),
        )
        .await;
        assert_eq!(case.status(), StatusCode::CREATED);
        full(&get_json(&other, url.clone()).await);
        full(&get_json(&recorder, url).await);
        app
    })
    .await;
}

async fn count(db: &Db, table: &str) -> i64 {
    scalar(
        db,
        &format!("SELECT COUNT(*) FROM {table} WHERE id >= $1"),
        0,
    )
    .await
}

async fn disclose(app: &TestApp, client: &Client, body: Value) -> reqwest::Response {
    post(client, app.url("/api/v1/disclosures"), body).await
}

async fn download(client: &Client, url: String) -> Vec<u8> {
    let response = get(client, url).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn the_case_list_exports_in_full_only_with_a_stated_purpose_once_and_for_ones_own_team() {
    on_both(|app| async move {
        app.load_demo().await;
        let supervisor = app.client_for("zhang.jian").await;
        let own = app.client_for("wang.fang").await;
        let other = app.client_for("chen.ming").await;
        let child = case_id(&app, &supervisor, CHILD).await;
        let id_number = child_id_number(&app, &supervisor, child).await;
        let csv_url = |grant: Option<&Value>| {
            app.url(&match grant {
                Some(g) => format!("/api/v1/cases/export.csv?disclosure={}", g["id"]),
                None => "/api/v1/cases/export.csv".to_string(),
            })
        };
        let purpose = "报送县民政局核对低保名单，需完整身份信息";

        // Without a grant: masked for everyone, the child's case read-logged as masked.
        let csv = String::from_utf8(download(&supervisor, csv_url(None)).await).unwrap();
        assert!(csv.contains("李*雨"), "{csv}");
        assert!(!csv.contains(CHILD) && !csv.contains(&id_number));
        // (The supervisor read the case page above, for the ID number.)
        assert_eq!(
            reads_of(&app, &supervisor, child).await,
            vec![
                read("张建国（检察长）", "case_page", true, Value::Null),
                read("张建国（检察长）", "export", false, Value::Null),
            ]
        );

        // Asking for the full version: a purpose, an export, a case reader.
        assert_error(
            disclose(
                &app,
                &supervisor,
                json!({ "purpose": "导出", "what": "export" }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_too_short",
        )
        .await;
        assert_error(
            disclose(&app, &supervisor, json!({ "purpose": purpose })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_disclosure",
        )
        .await;
        for user in ["admin", "vc.xiaodian"] {
            let client = app.client_for(user).await;
            assert_error(
                disclose(
                    &app,
                    &client,
                    json!({ "purpose": purpose, "what": "export" }),
                )
                .await,
                StatusCode::FORBIDDEN,
                "forbidden",
            )
            .await;
        }
        let response = disclose(
            &app,
            &supervisor,
            json!({ "purpose": purpose, "what": "export" }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let grant = json_body(response).await;
        assert_eq!(grant["kind"], "export");
        assert_eq!(grant["case_id"], Value::Null);

        // Someone else's grant, an unknown one, or a print grant: refused, nothing written.
        let print_grant = json_body(
            post(
                &own,
                app.url(&format!("/api/v1/cases/{child}/disclosures")),
                json!({ "purpose": purpose }),
            )
            .await,
        )
        .await;
        let (reads, audits) = (
            count(&app.db, "read_log").await,
            count(&app.db, "audit_log").await,
        );
        for (client, grant) in [
            (&own, &grant),
            (&supervisor, &json!({ "id": 99999 })),
            (&own, &print_grant),
        ] {
            assert_error(
                get(client, csv_url(Some(grant))).await,
                StatusCode::FORBIDDEN,
                "disclosure_not_valid",
            )
            .await;
        }
        assert_eq!(count(&app.db, "read_log").await, reads);
        assert_eq!(count(&app.db, "audit_log").await, audits);

        // The supervisor's full export: every case in full.
        let csv = String::from_utf8(download(&supervisor, csv_url(Some(&grant))).await).unwrap();
        assert!(csv.contains(CHILD) && csv.contains(&id_number), "{csv}");
        assert!(!csv.contains("李*雨"), "{csv}");
        assert!(!csv.contains("**********"), "no ID number masked: {csv}");
        // Audited with its purpose, read-logged with the grant.
        let audit = get_json(
            &supervisor,
            app.url(&format!("/api/v1/audit/access_grant/{}", grant["id"])),
        )
        .await;
        let used = audit
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "cases.exported_in_full")
            .unwrap_or_else(|| panic!("the export in the audit log: {audit}"));
        assert_eq!(used["after"]["purpose"], purpose);
        assert_eq!(used["after"]["format"], "csv");
        assert!(used["after"]["children_cases_in_full"].as_i64().unwrap() >= 1);
        assert_eq!(
            reads_of(&app, &supervisor, child).await.last().unwrap(),
            &read("张建国（检察长）", "export", true, grant["id"].clone())
        );

        // Once only; and a grant that expired is refused too.
        let reads = count(&app.db, "read_log").await;
        assert_error(
            get(&supervisor, csv_url(Some(&grant))).await,
            StatusCode::FORBIDDEN,
            "disclosure_not_valid",
        )
        .await;
        let stale = json_body(
            disclose(
                &app,
                &supervisor,
                json!({ "purpose": purpose, "what": "export" }),
            )
            .await,
        )
        .await;
        exec(
            &app.db,
            &format!(
                "UPDATE access_grants SET expires_at = {} WHERE id = $1",
                now_ms() - 1
            ),
            stale["id"].as_i64().unwrap(),
        )
        .await;
        assert_error(
            get(&supervisor, csv_url(Some(&stale))).await,
            StatusCode::FORBIDDEN,
            "disclosure_not_valid",
        )
        .await;
        assert_eq!(count(&app.db, "read_log").await, reads);

        // An officer's full export (XLSX): his own cases in full, the others masked.
        for (user, client) in [("王芳", &own), ("陈明", &other)] {
            let grant = json_body(
                disclose(
                    &app,
                    client,
                    json!({ "purpose": purpose, "what": "export" }),
                )
                .await,
            )
            .await;
            let bytes = download(
                client,
                app.url(&format!(
                    "/api/v1/cases/export.xlsx?disclosure={}",
                    grant["id"]
                )),
            )
            .await;
            let range = crate::stats::sheet(bytes);
            let (mut own_rows, mut others) = (0, 0);
            for row in 1..range.height() {
                let name = crate::stats::text(&range, row, 3);
                if crate::stats::text(&range, row, 8) == user {
                    own_rows += 1;
                    assert!(!name.contains('*'), "{user}'s own case in full: {name}");
                } else {
                    others += 1;
                    assert!(
                        is_masked_name(&name),
                        "{user}: another's case masked: {name}"
                    );
                }
            }
            assert!(
                own_rows > 0 && others > 0,
                "{user}: {own_rows} own, {others} others"
            );
            // The child's case is wang.fang's: in full for him only.
            let last = reads_of(&app, &supervisor, child).await.pop().unwrap();
            let full = user == "王芳";
            let expected_grant = if full {
                grant["id"].clone()
            } else {
                Value::Null
            };
            assert_eq!(last, read(user, "export", full, expected_grant));
        }
        app
    })
    .await;
}
