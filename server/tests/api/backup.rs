//! Backup and restore: a backup taken during a write load restores elsewhere
//! to a consistent copy; backups move between SQLite and PostgreSQL row for
//! row; damaged, foreign and truncated files are refused with nothing written;
//! a database newer than the server is refused.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use reqwest::StatusCode;
use serde_json::json;
use server::service::backup::{self, RestoreError};
use server::storage::backup::{self as store, Cell};
use server::storage::Db;

use crate::helpers::{
    on_both, post, postgres_url, spawn_app, spawn_unmigrated, today_in_china, Backend, TestApp,
};
use crate::visits;

type Dump = BTreeMap<String, Vec<Vec<Cell>>>;

/// Asserts two dumps hold the same rows, naming the first difference (a
/// whole dump is too long to print). Rows are compared as sorted sets, since
/// tables without an id are ordered by text, which collates differently on
/// the two databases.
fn assert_same(actual: &Dump, expected: &Dump) {
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "tables"
    );
    for (table, rows) in expected {
        let sorted = |rows: &[Vec<Cell>]| {
            let mut text: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
            text.sort();
            text
        };
        let (want, got) = (sorted(rows), sorted(&actual[table]));
        assert_eq!(got.len(), want.len(), "row count of {table}");
        if let Some((g, w)) = got.iter().zip(&want).find(|(g, w)| g != w) {
            panic!("{table} differs:\n  got  {g}\n  want {w}");
        }
    }
}

/// Every copied row of every table, in a stable order.
async fn dump(db: &Db) -> Dump {
    let mut tx = db.begin_snapshot().await.unwrap();
    let mut all = BTreeMap::new();
    for table in store::tables(&mut tx).await.unwrap() {
        let mut rows = Vec::new();
        // Columns by name: a column added later sits at the end on PostgreSQL
        // but where the rebuilt table put it on SQLite (referrals.withdraw_reason).
        let mut order: Vec<usize> = (0..table.columns.len()).collect();
        order.sort_by(|a, b| table.columns[*a].0.cmp(&table.columns[*b].0));
        store::for_each_row(&mut tx, &table, |cells| {
            let mut cells: Vec<Option<Cell>> = cells.into_iter().map(Some).collect();
            rows.push(
                order
                    .iter()
                    .filter_map(|i| cells.get_mut(*i).and_then(Option::take))
                    .collect(),
            );
            Ok(())
        })
        .await
        .unwrap();
        all.insert(table.name.clone(), rows);
    }
    tx.rollback().await.unwrap();
    all
}

/// Logs leads, and visits with a photo, through the API until told to stop
/// (and a few after); returns how many leads got a 201.
async fn write_load(app: &TestApp, stop: tokio::sync::watch::Receiver<bool>) -> usize {
    let officer = app.client_for("wang.fang").await;
    let case_id = visits::new_case(app, &officer, "周大勇").await;
    let villages = crate::helpers::get_json(&officer, app.url("/api/v1/villages")).await;
    let village = villages[0]["id"].as_i64().unwrap();
    let mut created = 0;
    let mut after_stop = 0;
    for i in 0.. {
        // A few more after the signal, so that some writes surely follow the backup.
        if *stop.borrow() {
            after_stop += 1;
            if after_stop > 3 && i > 5 {
                break;
            }
        }
        let response = post(
            &officer,
            app.url("/api/v1/leads"),
            json!({
                "channel": "outreach",
                "received_on": today_in_china(),
                "reporter": "村委会",
                "summary": format!("走访中发现的困难家庭 {i}"),
                "people": [{ "name": format!("测试{i}"), "village_id": village }],
                "confirm_duplicate": true
            }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        created += 1;
        let visit_id = visits::uuid();
        let visit = visits::put_visit(
            app,
            &officer,
            case_id,
            &visit_id,
            &visits::visit_body("home_visit"),
        )
        .await;
        assert_eq!(visit.status(), StatusCode::CREATED);
        let photo = visits::put_file(
            app,
            &officer,
            &visit_id,
            &visits::uuid(),
            "photo",
            visits::jpeg(i as u8),
        )
        .await;
        assert_eq!(photo.status(), StatusCode::CREATED);
    }
    created
}

/// The supervised children of 小甸村 with their money, as its village committee sees them.
async fn supervised(app: &TestApp) -> serde_json::Value {
    let committee = app.client_for("vc.xiaodian").await;
    crate::helpers::get_json(&committee, app.url("/api/v1/money/supervised")).await
}

/// The restored accounts log in with their passwords, and new rows get new ids.
async fn the_copy_works(app: &TestApp) {
    let officer = app.client_for("wang.fang").await;
    let villages = crate::helpers::get_json(&officer, app.url("/api/v1/villages")).await;
    let response = post(
        &officer,
        app.url("/api/v1/leads"),
        json!({
            "channel": "hotline_12309",
            "received_on": today_in_china(),
            "reporter": "本人",
            "summary": "恢复后登记的线索",
            "people": [{ "name": "恢复后", "village_id": villages[0]["id"] }],
            "confirm_duplicate": true
        }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

fn backup_path(dir: &Path, name: &str) -> std::path::PathBuf {
    dir.join(name)
}

#[tokio::test]
async fn a_backup_taken_under_write_load_restores_to_a_consistent_copy() {
    on_both(|app| async move {
        app.load_demo().await;
        let dir = tempfile::tempdir().unwrap();
        let path = backup_path(dir.path(), "during-load.jzb");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let load = write_load(&app, stopped);
        let taken = async {
            // Let the load get going (its first photo stored, however busy the
            // machine), back up in the middle of it, then stop it.
            let sql = "SELECT COUNT(*) FROM visit_files";
            for _ in 0..600 {
                let photos: i64 = match &app.db {
                    Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
                    Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
                }
                .unwrap();
                if photos > 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let summary = backup::backup(&app.db, &path).await.unwrap();
            stop.send(true).unwrap();
            summary
        };
        let (created, summary) = tokio::join!(load, taken);
        assert!(created > 5, "the load ran ({created} leads)");
        assert!(summary.rows["leads"] > 0);
        assert!(summary.rows["visit_files"] > 0, "photos were backed up");
        assert!(!path.with_extension("jzb.partial").exists());

        // Restored into a new database of the same kind: every row is a row of
        // the source as it is now (writes only added rows), none is half there.
        let backend = match app.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        };
        let target = spawn_app(backend).await;
        let restored = backup::restore(&target.db, &path).await.unwrap();
        assert_eq!(restored.rows, summary.rows);
        let source = dump(&app.db).await;
        let copy = dump(&target.db).await;
        for (table, rows) in &copy {
            let all = &source[table];
            for row in rows {
                assert!(all.contains(row), "{table} row {row:?} not in the source");
            }
        }
        // The lead and its people came over together or not at all.
        let leads = copy["leads"].len();
        assert!(
            leads < source["leads"].len(),
            "the backup was taken mid-load"
        );
        // The money ledgers came over balancing, and as the village committee sees them.
        let (before, after) = (supervised(&app).await, supervised(&target).await);
        assert_eq!(before, after);
        let children = after.as_array().unwrap();
        assert!(!children.is_empty(), "the demo's supervised child");
        for child in children {
            let l = &child["ledger"];
            let n = |k: &str| l[k].as_i64().unwrap();
            assert!(n("confirmed_fen") <= n("spent_fen"), "{l}");
            assert!(n("spent_fen") <= n("paid_fen"), "{l}");
            assert!(
                n("paid_fen") <= n("approved_fen") && n("paid_fen") > 0,
                "{l}"
            );
            assert_eq!(
                child["balance_fen"].as_i64().unwrap(),
                n("paid_fen") - n("spent_fen")
            );
        }
        // The copy works: its users log in and the restored sequences go on.
        the_copy_works(&target).await;

        // A backup taken after the load is the source exactly.
        let after = backup_path(dir.path(), "after-load.jzb");
        backup::backup(&app.db, &after).await.unwrap();
        let again = spawn_app(backend).await;
        backup::restore(&again.db, &after).await.unwrap();
        assert_same(&dump(&again.db).await, &source);
        target.shutdown().await;
        again.shutdown().await;
        app
    })
    .await;
}

#[tokio::test]
async fn an_installation_moves_from_sqlite_to_postgresql_and_back_row_for_row() {
    if postgres_url().is_none() {
        eprintln!("PostgreSQL half skipped: TEST_POSTGRES_URL is not set");
        return;
    }
    let sqlite = spawn_app(Backend::Sqlite).await;
    sqlite.load_demo().await;
    server::service::volume::generate(&sqlite.db, &Default::default(), 300, 7)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = backup_path(dir.path(), "from-sqlite.jzb");
    backup::backup(&sqlite.db, &first).await.unwrap();

    let pg = spawn_app(Backend::Postgres).await;
    backup::restore(&pg.db, &first).await.unwrap();
    let original = dump(&sqlite.db).await;
    assert_same(&dump(&pg.db).await, &original);
    // Sequences moved past the restored ids: a new lead gets a new id.
    the_copy_works(&pg).await;

    let moved = dump(&pg.db).await;
    let second = backup_path(dir.path(), "from-postgres.jzb");
    backup::backup(&pg.db, &second).await.unwrap();
    let back = spawn_app(Backend::Sqlite).await;
    backup::restore(&back.db, &second).await.unwrap();
    assert_same(&dump(&back.db).await, &moved);
    for app in [sqlite, pg, back] {
        app.shutdown().await;
    }
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gzip_to(path: &Path, bytes: &[u8]) {
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap();
}

#[tokio::test]
async fn damaged_foreign_and_truncated_files_are_refused_and_nothing_is_written() {
    on_both(|app| async move {
        app.load_demo().await;
        let dir = tempfile::tempdir().unwrap();
        let good = backup_path(dir.path(), "good.jzb");
        backup::backup(&app.db, &good).await.unwrap();
        let text = gunzip(&good);

        // A changed name inside a row: the checksum does not match.
        let tampered = backup_path(dir.path(), "tampered.jzb");
        let changed = String::from_utf8(text.clone())
            .unwrap()
            .replacen("小甸村", "大甸村", 1);
        gzip_to(&tampered, changed.as_bytes());
        // The last lines cut off (at a line's end): no end marker.
        let truncated = backup_path(dir.path(), "truncated.jzb");
        let cut = text[..text.len() * 2 / 3]
            .iter()
            .rposition(|b| *b == b'\n')
            .unwrap();
        gzip_to(&truncated, &text[..=cut]);
        // Bytes of the compressed file flipped.
        let corrupt = backup_path(dir.path(), "corrupt.jzb");
        let mut bytes = std::fs::read(&good).unwrap();
        let middle = bytes.len() / 2;
        for b in &mut bytes[middle..middle + 16] {
            *b ^= 0x5a;
        }
        std::fs::write(&corrupt, bytes).unwrap();
        // Not a backup at all.
        let foreign = backup_path(dir.path(), "notes.txt");
        std::fs::write(&foreign, "案件统计表\n").unwrap();

        let backend = match app.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        };
        let target = spawn_app(backend).await;
        let empty = dump(&target.db).await;
        for (path, expect) in [
            (&tampered, "checksum"),
            (&truncated, "ends early"),
            (&corrupt, "damaged"),
            (&foreign, "not a Jiuzhu backup"),
        ] {
            let error = backup::restore(&target.db, path).await.unwrap_err();
            let message = error.to_string();
            assert!(
                matches!(
                    error,
                    RestoreError::Damaged { .. } | RestoreError::Foreign(_)
                ),
                "{message}"
            );
            assert!(
                message.contains(expect)
                    || (expect == "damaged" && message.contains("not a Jiuzhu backup")),
                "{path:?}: {message}"
            );
            assert_eq!(dump(&target.db).await, empty, "nothing written by {path:?}");
        }

        // The good file goes in once; a second time finds the database in use.
        backup::restore(&target.db, &good).await.unwrap();
        let error = backup::restore(&target.db, &good).await.unwrap_err();
        assert!(matches!(error, RestoreError::NotEmpty(_)), "{error}");
        target.shutdown().await;
        app
    })
    .await;
}

#[tokio::test]
async fn a_database_newer_than_the_server_is_refused_untouched() {
    on_both(|app| async move {
        let newest = app.db.known_schema_version();
        assert_eq!(app.db.schema_version().await.unwrap(), newest);
        let sql = "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
                   VALUES ($1, 'from a newer jiuzhu', CURRENT_TIMESTAMP, TRUE, $2, 1)";
        match &app.db {
            Db::Sqlite(pool) => sqlx::query(sql)
                .bind(newest + 1)
                .bind(vec![0u8; 48])
                .execute(pool)
                .await
                .map(|_| ()),
            Db::Postgres(pool) => sqlx::query(sql)
                .bind(newest + 1)
                .bind(vec![0u8; 48])
                .execute(pool)
                .await
                .map(|_| ()),
        }
        .unwrap();
        let error = app.db.migrate().await.unwrap_err().to_string();
        assert!(error.contains("newer than this jiuzhu"), "{error}");
        assert!(error.contains(&format!("schema version {}", newest + 1)), "{error}");
        app
    })
    .await;
}

#[test]
fn scheduled_backups_keep_only_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    for at in [1_000_i64, 90_000_000, 200_000_000, 300_000_000] {
        std::fs::write(dir.path().join(backup::scheduled_name(at * 1000)), "x").unwrap();
    }
    std::fs::write(dir.path().join("keep-me.txt"), "x").unwrap();
    let removed = backup::prune(dir.path(), 2).unwrap();
    assert_eq!(removed.len(), 2);
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        vec![
            backup::scheduled_name(200_000_000_000),
            backup::scheduled_name(300_000_000_000),
            "keep-me.txt".to_string()
        ]
    );
}

/// The first release's schema (migration 6) with its demo data and a
/// referral in progress, as a backup made by that release. Upgrading it to
/// the newest schema keeps every row, and the upgraded installation works.
#[tokio::test]
async fn an_installation_of_the_first_release_upgrades_with_its_data() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/schema-0006-demo.jzb"
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && postgres_url().is_none() {
            eprintln!("PostgreSQL half skipped: TEST_POSTGRES_URL is not set");
            continue;
        }
        let app = spawn_unmigrated(backend).await;
        app.db.migrate_to(6).await.unwrap();
        let old = backup::restore(&app.db, Path::new(fixture)).await.unwrap();
        assert_eq!(old.schema_version, 6);
        app.db.migrate().await.unwrap();
        assert_eq!(
            app.db.schema_version().await.unwrap(),
            app.db.known_schema_version()
        );
        let upgraded = dump(&app.db).await;
        for (table, rows) in &old.rows {
            assert_eq!(upgraded[table].len() as u64, *rows, "rows of {table}");
        }

        // Migration 0015 gave each case its applicant's priority groups as bits.
        let sql = "SELECT c.applicant_groups, p.priority_groups FROM cases c JOIN people p ON p.id = c.applicant_id";
        let groups: Vec<(i64, String)> = match &app.db {
            Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        }
        .unwrap();
        assert!(groups.iter().any(|(bits, _)| *bits != 0), "{groups:?}");
        for (bits, text) in &groups {
            assert_eq!(*bits, domain::case::groups_mask(text), "{text}");
        }
        let supervisor = app.client_for("zhang.jian").await;
        let cases = crate::helpers::get_json(&supervisor, app.url("/api/v1/cases")).await;
        assert_eq!(cases["total"], 9, "{cases}");
        // The list's priority-group filter reads those bits.
        let minors =
            crate::helpers::get_json(&supervisor, app.url("/api/v1/cases?priority_group=minor"))
                .await;
        let expected = groups.iter().filter(|(_, t)| t.contains("minor")).count();
        assert_eq!(minors["total"], expected as i64, "{minors}");
        // The referral in progress went through the referrals table rebuild
        // with its history, and takes its next step.
        let partner = app.client_for("edu.bureau").await;
        let referral = crate::helpers::get_json(&partner, app.url("/api/v1/referrals/1")).await;
        assert_eq!(referral["state"], "in_progress");
        assert_eq!(referral["updates"].as_array().unwrap().len(), 3);
        let done = post(
            &partner,
            app.url("/api/v1/referrals/1/complete"),
            json!({ "text": "已复学" }),
        )
        .await;
        assert_eq!(done.status(), StatusCode::OK);
        the_copy_works(&app).await;
        app.shutdown().await;
    }
}
