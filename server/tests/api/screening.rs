//! Case screening: uploads (CSV, GBK, XLSX), column mappings, flags with their
//! reasons, row errors by line, no duplicates on re-import, flag → lead, dismissal,
//! permissions and the audit trail.

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_error, json_body, on_both, post, TestApp};

const HEADINGS: &str =
    "案号,被害人姓名,身份证号,所在村,联系电话,是否残疾,是否退役军人,是否建档立卡,赔偿情况";

/// Today in China time, as the server counts it.
fn today() -> (i32, u32, u32) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    domain::date::china_date(now)
}

/// A valid ID number of someone `years` old today (born on 1 January or 1 July
/// so the age is unambiguous), with a serial to tell people apart.
fn id_aged(years: i32, serial: u32) -> String {
    let (y, m, _) = today();
    let (birth_year, birth_month) = if m >= 7 {
        (y - years, 1)
    } else {
        (y - years - 1, 7)
    };
    domain::idcard::with_check_char(&format!(
        "340422{birth_year:04}{birth_month:02}01{:03}",
        serial % 1000
    ))
    .unwrap()
}

/// Seven data rows (lines 2–8): three flagged, one plain, three malformed.
pub(crate) fn sample_csv() -> String {
    let minor = id_aged(10, 1);
    let adult = id_aged(40, 2);
    let adult2 = id_aged(50, 3);
    let adult3 = id_aged(35, 4);
    format!(
        "{HEADINGS}\n\
         寿公刑〔2026〕101号,林小满,{minor},小甸村,13912345678,否,否,否,已赔偿\n\
         寿公刑〔2026〕102号,赵大山,{adult},城东村,,是,否,否,未赔偿\n\
         寿公刑〔2026〕103号,钱多多,{adult2},城东村,,否,否,否,已赔偿\n\
         寿公刑〔2026〕104号,孙错号,110105194912310021,城东村,,否,否,否,已赔偿\n\
         寿公刑〔2026〕105号,周无村,{adult3},不存在村,,是,否,否,\n\
         ,吴无号,,城东村,,是,,,\n\
         寿公刑〔2026〕107号,郑退伍,,南关村,,否,是,是,\n"
    )
}

async fn upload(app: &TestApp, client: &Client, name: &str, bytes: Vec<u8>) -> Response {
    client
        .post(app.url("/api/v1/screening/imports"))
        .query(&[("file_name", name)])
        .header("content-type", "text/csv")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn upload_ok(app: &TestApp, client: &Client, name: &str, bytes: Vec<u8>) -> Value {
    let response = upload(app, client, name, bytes).await;
    let status = response.status();
    let body = json_body(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

pub(crate) async fn flags(app: &TestApp, client: &Client, status: &str) -> Vec<Value> {
    let response = client
        .get(app.url(&format!("/api/v1/screening/flags?status={status}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await.as_array().unwrap().clone()
}

pub(crate) fn by_case<'a>(flags: &'a [Value], case_ref: &str) -> &'a Value {
    flags
        .iter()
        .find(|f| f["criminal_case_ref"] == case_ref)
        .unwrap_or_else(|| panic!("no flag for {case_ref} in {flags:?}"))
}

fn errors_by_line(import: &Value) -> Vec<(i64, String)> {
    import["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_i64().unwrap(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn audit(app: &TestApp, entity: &str, id: i64) -> Vec<Value> {
    let supervisor = app.client_for("zhang.jian").await;
    let response = supervisor
        .get(app.url(&format!("/api/v1/audit/{entity}/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await.as_array().unwrap().clone()
}

#[tokio::test]
async fn known_headings_import_at_once_flagging_people_with_reasons_and_reporting_bad_rows_by_line()
{
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;

        let body = upload_ok(
            &app,
            &officer,
            "10月刑事案件.csv",
            sample_csv().into_bytes(),
        )
        .await;

        assert_eq!(body["outcome"], "imported");
        let import = &body["import"];
        assert_eq!(import["status"], "imported");
        assert_eq!(import["file_name"], "10月刑事案件.csv");
        assert_eq!(import["rows_total"], 7);
        assert_eq!(import["rows_flagged"], 3);
        assert_eq!(import["rows_known"], 0);
        assert_eq!(import["rows_error"], 3);
        assert_eq!(
            errors_by_line(import),
            vec![
                (5, "id_number_checksum".to_string()),
                (6, "unknown_village".to_string()),
                (7, "case_ref_required".to_string()),
            ]
        );
        assert_eq!(import["mapping"]["victim_name"], "被害人姓名");

        let open = flags(&app, &officer, "open").await;
        assert_eq!(open.len(), 3, "{open:?}");
        let minor = by_case(&open, "寿公刑〔2026〕101号");
        assert_eq!(minor["reasons"], json!(["minor"]));
        assert_eq!(minor["line"], 2);
        assert_eq!(minor["name"], "林*满", "names are masked in the list");
        assert_eq!(minor["village"]["name"], "小甸村");
        assert!(minor["id_number"].as_str().unwrap().contains("**********"));
        assert_eq!(
            by_case(&open, "寿公刑〔2026〕102号")["reasons"],
            json!(["disabled", "compensation_unpaid"])
        );
        assert_eq!(
            by_case(&open, "寿公刑〔2026〕107号")["reasons"],
            json!(["veteran", "poor_household"])
        );

        // The import is audited, and can be read back.
        let id = import["id"].as_i64().unwrap();
        let entries = audit(&app, "screening_import", id).await;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["action"], "screening.imported");
        assert_eq!(entries[0]["after"]["rows_flagged"], 3);
        let again = json_body(
            officer
                .get(app.url(&format!("/api/v1/screening/imports/{id}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(&again, import);
        app
    })
    .await;
}

#[tokio::test]
async fn unknown_headings_ask_for_a_mapping_that_is_remembered_for_the_next_file() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let minor = id_aged(12, 5);
        let file = format!("编码,当事人,证件,备注\nX-1,林小满,{minor},无\n");

        let body = upload_ok(&app, &officer, "export.csv", file.into_bytes()).await;
        assert_eq!(body["outcome"], "needs_mapping");
        assert_eq!(body["headers"], json!(["编码", "当事人", "证件", "备注"]));
        assert_eq!(body["import"]["status"], "needs_mapping");
        assert!(
            flags(&app, &officer, "open").await.is_empty(),
            "nothing flagged yet"
        );
        let id = body["import"]["id"].as_i64().unwrap();
        let mapping_url = app.url(&format!("/api/v1/screening/imports/{id}/mapping"));

        // A required column left out, or a heading not in the file, is refused.
        let response = post(&officer, mapping_url.clone(), json!({ "case_ref": "编码" })).await;
        let error = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "column_required",
        )
        .await;
        assert_eq!(error["error"]["field"], "victim_name");
        let response = post(
            &officer,
            mapping_url.clone(),
            json!({ "case_ref": "编码", "victim_name": "姓名" }),
        )
        .await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unknown_column").await;

        let mapping = json!({ "case_ref": "编码", "victim_name": "当事人", "id_number": "证件" });
        let response = post(&officer, mapping_url.clone(), mapping.clone()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["outcome"], "imported");
        assert_eq!(body["import"]["rows_flagged"], 1);
        assert_eq!(
            flags(&app, &officer, "open").await[0]["reasons"],
            json!(["minor"])
        );

        // Remembered: the next file with these headings imports at once.
        let remembered = json_body(
            officer
                .get(app.url("/api/v1/screening/mapping"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(remembered["victim_name"], "当事人");
        let other = id_aged(3, 6);
        let next = format!("编码,当事人,证件,备注\nX-2,陈小小,{other},\n");
        let body = upload_ok(&app, &officer, "export2.csv", next.into_bytes()).await;
        assert_eq!(body["outcome"], "imported");
        assert_eq!(body["import"]["rows_flagged"], 1);

        // The first file is done: its mapping cannot be chosen again.
        let response = post(&officer, mapping_url, mapping).await;
        assert_error(response, StatusCode::CONFLICT, "import_done").await;
        app
    })
    .await;
}

#[tokio::test]
async fn the_same_file_again_or_an_overlapping_file_creates_nothing_twice() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let csv = sample_csv();
        let first = upload_ok(&app, &officer, "a.csv", csv.clone().into_bytes()).await;

        let response = upload(&app, &officer, "a (copy).csv", csv.clone().into_bytes()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let again = json_body(response).await;
        assert_eq!(again["outcome"], "already_imported");
        assert_eq!(again["import"]["id"], first["import"]["id"]);
        assert_eq!(flags(&app, &officer, "open").await.len(), 3);

        // Another export listing one known person and one new one.
        let known_line = csv.lines().nth(1).unwrap();
        let new_id = id_aged(16, 7);
        let overlap = format!(
            "{HEADINGS}\n{known_line}\n寿公刑〔2026〕120号,何小宝,{new_id},城东村,,否,否,否,\n"
        );
        let body = upload_ok(&app, &officer, "b.csv", overlap.into_bytes()).await;
        assert_eq!(body["import"]["rows_flagged"], 1);
        assert_eq!(body["import"]["rows_known"], 1);
        assert_eq!(flags(&app, &officer, "open").await.len(), 4);
        app
    })
    .await;
}

#[tokio::test]
async fn a_gbk_encoded_csv_is_read() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let text = sample_csv();
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");

        let body = upload_ok(&app, &officer, "gbk.csv", bytes.into_owned()).await;

        assert_eq!(body["outcome"], "imported");
        assert_eq!(body["import"]["rows_flagged"], 3);
        assert_eq!(
            by_case(&flags(&app, &officer, "open").await, "寿公刑〔2026〕102号")["name"],
            "赵*山"
        );
        app
    })
    .await;
}

fn sample_xlsx() -> Vec<u8> {
    use rust_xlsxwriter::Workbook;
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let rows: Vec<Vec<String>> = sample_csv()
        .lines()
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32, c as u16, cell.as_str())
                .unwrap();
        }
    }
    // A phone typed as a number, as spreadsheets do.
    sheet.write_number(1, 4, 13_912_345_678.0).unwrap();
    workbook.save_to_buffer().unwrap()
}

#[tokio::test]
async fn an_xlsx_workbook_is_read_by_its_content_whatever_its_name() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;

        // Named .csv on purpose: the ZIP signature decides.
        let body = upload_ok(&app, &officer, "named-wrongly.csv", sample_xlsx()).await;

        let import = &body["import"];
        assert_eq!(body["outcome"], "imported");
        assert_eq!(import["rows_total"], 7);
        assert_eq!(import["rows_flagged"], 3);
        assert_eq!(
            errors_by_line(import),
            vec![
                (5, "id_number_checksum".to_string()),
                (6, "unknown_village".to_string()),
                (7, "case_ref_required".to_string()),
            ]
        );
        let open = flags(&app, &officer, "open").await;
        assert_eq!(
            by_case(&open, "寿公刑〔2026〕101号")["phone"],
            "139****5678"
        );
        app
    })
    .await;
}

#[tokio::test]
async fn a_flag_becomes_one_lead_with_its_priority_groups_and_the_duplicate_warning_applies() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        upload_ok(&app, &officer, "a.csv", sample_csv().into_bytes()).await;
        let open = flags(&app, &officer, "open").await;
        let flag_id = by_case(&open, "寿公刑〔2026〕102号")["id"]
            .as_i64()
            .unwrap();
        let url = app.url(&format!("/api/v1/screening/flags/{flag_id}/lead"));

        let response = post(&officer, url.clone(), json!({})).await;

        assert_eq!(response.status(), StatusCode::CREATED);
        let lead = json_body(response).await;
        assert_eq!(lead["channel"], "case_screening");
        assert_eq!(lead["status"], "open");
        assert_eq!(lead["people"][0]["name"], "赵大山");
        assert_eq!(lead["people"][0]["village"]["name"], "城东村");
        assert_eq!(lead["people"][0]["priority_groups"], json!(["disabled"]));
        let summary = lead["summary"].as_str().unwrap();
        assert!(
            summary.contains("寿公刑〔2026〕102号") && summary.contains("未获赔偿"),
            "{summary}"
        );
        let done = flags(&app, &officer, "lead").await;
        assert_eq!(done.len(), 1);
        assert_eq!(done[0]["lead_id"], lead["id"]);
        let entries = audit(&app, "screening_flag", flag_id).await;
        assert_eq!(entries[0]["action"], "screening_flag.lead");
        assert_eq!(entries[0]["after"]["lead_id"], lead["id"]);

        // Only once.
        let response = post(&officer, url, json!({})).await;
        assert_error(response, StatusCode::CONFLICT, "flag_not_open").await;

        // The same person flagged in another case: the open lead is found first.
        let line = sample_csv()
            .lines()
            .nth(2)
            .unwrap()
            .replace("102号", "130号");
        let body = upload_ok(
            &app,
            &officer,
            "c.csv",
            format!("{HEADINGS}\n{line}\n").into_bytes(),
        )
        .await;
        assert_eq!(body["import"]["rows_flagged"], 1);
        let second = by_case(&flags(&app, &officer, "open").await, "寿公刑〔2026〕130号")["id"]
            .as_i64()
            .unwrap();
        let url = app.url(&format!("/api/v1/screening/flags/{second}/lead"));
        let response = post(&officer, url.clone(), json!({})).await;
        let error = assert_error(response, StatusCode::CONFLICT, "possible_duplicate").await;
        assert_eq!(error["error"]["duplicates"][0]["id"], lead["id"]);
        assert_eq!(
            flags(&app, &officer, "lead").await.len(),
            1,
            "nothing written"
        );
        let response = post(&officer, url, json!({ "confirm_duplicate": true })).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(flags(&app, &officer, "lead").await.len(), 2);
        app
    })
    .await;
}

#[tokio::test]
async fn a_flag_without_a_village_needs_one_and_a_refused_lead_leaves_the_flag_open() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        let minor = id_aged(9, 8);
        let file = format!("{HEADINGS}\n寿公刑〔2026〕140号,韩小雨,{minor},,,否,否,否,\n");
        upload_ok(&app, &officer, "d.csv", file.into_bytes()).await;
        let flag = flags(&app, &officer, "open").await[0].clone();
        assert!(flag["village"].is_null());
        let url = app.url(&format!("/api/v1/screening/flags/{}/lead", flag["id"]));

        let response = post(&officer, url.clone(), json!({})).await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "village_required",
        )
        .await;
        let response = post(&officer, url.clone(), json!({ "village_id": 999_999 })).await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_village",
        )
        .await;
        assert_eq!(flags(&app, &officer, "open").await.len(), 1, "still open");

        let villages = json_body(
            officer
                .get(app.url("/api/v1/villages"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let village_id = villages[0]["id"].as_i64().unwrap();
        let response = post(&officer, url, json!({ "village_id": village_id })).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let lead = json_body(response).await;
        assert_eq!(lead["people"][0]["village"]["id"], village_id);
        assert_eq!(lead["people"][0]["priority_groups"], json!(["minor"]));
        app
    })
    .await;
}

#[tokio::test]
async fn dismissing_a_flag_needs_a_reason_and_is_audited() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        upload_ok(&app, &officer, "a.csv", sample_csv().into_bytes()).await;
        let flag_id = flags(&app, &officer, "open").await[0]["id"]
            .as_i64()
            .unwrap();
        let url = app.url(&format!("/api/v1/screening/flags/{flag_id}/dismiss"));

        let response = post(&officer, url.clone(), json!({ "reason": "  " })).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "required").await;

        let response = post(&officer, url.clone(), json!({ "reason": "已获民事赔偿" })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let flag = json_body(response).await;
        assert_eq!(flag["status"], "dismissed");
        assert_eq!(flag["dismiss_reason"], "已获民事赔偿");
        assert_eq!(flags(&app, &officer, "open").await.len(), 2);
        let entries = audit(&app, "screening_flag", flag_id).await;
        assert_eq!(entries[0]["action"], "screening_flag.dismissed");

        let response = post(&officer, url, json!({ "reason": "再次" })).await;
        assert_error(response, StatusCode::CONFLICT, "flag_not_open").await;
        let response = post(
            &officer,
            app.url("/api/v1/screening/flags/999999/dismiss"),
            json!({ "reason": "x" }),
        )
        .await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
        app
    })
    .await;
}

#[tokio::test]
async fn only_officers_import_and_act_on_flags_and_only_case_readers_see_them() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        upload_ok(&app, &officer, "a.csv", sample_csv().into_bytes()).await;
        let flag_id = flags(&app, &officer, "open").await[0]["id"]
            .as_i64()
            .unwrap();

        let supervisor = app.client_for("zhang.jian").await;
        assert_eq!(
            flags(&app, &supervisor, "open").await.len(),
            3,
            "supervisors read"
        );
        for username in ["zhang.jian", "vc.xiaodian", "edu.bureau", "admin"] {
            let client = app.client_for(username).await;
            let other = format!("{HEADINGS}\nZ-{username},某某,,,,是,,,\n");
            let response = upload(&app, &client, "x.csv", other.into_bytes()).await;
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
            let response = post(
                &client,
                app.url(&format!("/api/v1/screening/flags/{flag_id}/lead")),
                json!({}),
            )
            .await;
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
            let response = post(
                &client,
                app.url(&format!("/api/v1/screening/flags/{flag_id}/dismiss")),
                json!({ "reason": "x" }),
            )
            .await;
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        for username in ["vc.xiaodian", "edu.bureau", "admin"] {
            let client = app.client_for(username).await;
            let response = client
                .get(app.url("/api/v1/screening/flags"))
                .send()
                .await
                .unwrap();
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let anonymous = app.client();
        let response = upload(&app, &anonymous, "x.csv", sample_csv().into_bytes()).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        assert_eq!(
            flags(&app, &officer, "open").await.len(),
            3,
            "nothing changed"
        );
        app
    })
    .await;
}

#[tokio::test]
async fn bad_files_are_refused_whole_and_big_ones_within_the_upload_limit_are_taken() {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;

        let response = upload(&app, &officer, "empty.csv", Vec::new()).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "empty_file").await;
        let response = upload(
            &app,
            &officer,
            "x.xlsx",
            b"PK\x03\x04not a workbook".to_vec(),
        )
        .await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable_file",
        )
        .await;

        let mut many = format!("{HEADINGS}\n");
        for i in 0..=domain::screening::MAX_ROWS {
            many.push_str(&format!("R{i},张三,,,,是,,,\n"));
        }
        let response = upload(&app, &officer, "many.csv", many.into_bytes()).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "too_many_rows").await;
        assert!(
            flags(&app, &officer, "open").await.is_empty(),
            "nothing half-written"
        );

        let response = upload(&app, &officer, "huge.csv", vec![b'a'; 11 * 1024 * 1024]).await;
        assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;

        // Well above the API's 64 KiB JSON limit, well below the upload's.
        let mut big = format!("{HEADINGS}\n");
        // Nobody in it is flagged, which keeps the test quick.
        for i in 0..5_000 {
            big.push_str(&format!("B{i},张三,,,,否,,,\n"));
        }
        assert!(big.len() > 64 * 1024);
        let body = upload_ok(&app, &officer, "big.csv", big.into_bytes()).await;
        assert_eq!(body["import"]["rows_total"], 5_000);
        assert_eq!(body["import"]["rows_flagged"], 0);
        app
    })
    .await;
}

#[tokio::test]
async fn the_screening_api_is_in_the_openapi_document() {
    on_both(|app| async move {
        let doc = json_body(
            app.client()
                .get(app.url("/api/v1/openapi.json"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        for path in [
            "/api/v1/screening/imports",
            "/api/v1/screening/imports/{id}",
            "/api/v1/screening/imports/{id}/mapping",
            "/api/v1/screening/mapping",
            "/api/v1/screening/flags",
            "/api/v1/screening/flags/{id}/lead",
            "/api/v1/screening/flags/{id}/dismiss",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        for schema in [
            "ScreeningUpload",
            "ScreeningFlagView",
            "ColumnMapping",
            "FlagReason",
        ] {
            assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
        }
        app
    })
    .await;
}

#[tokio::test]
async fn the_screening_page_renders_open_flags_with_translated_reasons_and_the_leads_page_links_to_it(
) {
    on_both(|app| async move {
        app.load_demo().await;
        let officer = app.client_for("wang.fang").await;
        upload_ok(&app, &officer, "a.csv", sample_csv().into_bytes()).await;

        let response = officer.get(app.url("/screening")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(html.contains("案件管理筛查"), "title");
        assert!(html.contains("寿公刑〔2026〕101号"), "an open flag");
        assert!(
            html.contains("未成年人") && html.contains("未获赔偿"),
            "reasons"
        );
        assert!(!html.contains("林小满"), "names are masked");

        let leads = officer.get(app.url("/leads")).send().await.unwrap();
        assert!(leads.text().await.unwrap().contains("href=\"/screening\""));
        app
    })
    .await;
}
