//! The `jiuzhu` command itself: migrate, user add (password on stdin), demo,
//! backup and restore.

use std::io::Write;
use std::process::{Command, Stdio};

fn jiuzhu(database_url: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("JIUZHU_DEMO_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jiuzhu starts");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect("jiuzhu finishes");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_prints_each_password_once_and_refuses_a_second_load() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("nested/dir/demo.db").display());
    let (ok, stdout, stderr) = jiuzhu(&url, &["demo"], None);
    assert!(ok, "{stderr}");
    let admin_line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("admin "))
        .expect("admin listed");
    let password = admin_line.split_whitespace().nth(2).unwrap();
    assert!(domain::validate_password(password).is_ok(), "{password}");

    let (ok, _, stderr) = jiuzhu(&url, &["demo"], None);
    assert!(!ok, "a second load must fail");
    assert!(stderr.contains("already has users"), "{stderr}");
    let (ok, stdout, _) = jiuzhu(&url, &["demo", "--if-empty"], None);
    assert!(ok);
    assert!(stdout.contains("not loaded"));
}

#[test]
fn user_add_reads_the_password_from_stdin_and_checks_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("cli.db").display());
    let (ok, stdout, stderr) = jiuzhu(&url, &["migrate"], None);
    assert!(ok && stdout.contains("migrations applied"), "{stderr}");

    let (ok, stdout, stderr) = jiuzhu(
        &url,
        &[
            "user",
            "add",
            "--username",
            "first.admin",
            "--role",
            "admin",
        ],
        Some("a-long-password\n"),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("added user first.admin"), "{stdout}");

    let (ok, _, stderr) = jiuzhu(
        &url,
        &["user", "add", "--username", "weak.one", "--role", "officer"],
        Some("short\n"),
    );
    assert!(!ok);
    assert!(stderr.contains("at least 10"), "{stderr}");

    let (ok, _, stderr) = jiuzhu(
        &url,
        &[
            "user",
            "add",
            "--username",
            "vc.nowhere",
            "--role",
            "village_committee",
            "--village",
            "无此村",
        ],
        Some("a-long-password\n"),
    );
    assert!(!ok);
    assert!(stderr.contains("no village named"), "{stderr}");

    let (ok, _, stderr) = jiuzhu(
        &url,
        &["user", "add", "--username", "x.y", "--role", "root"],
        Some("a-long-password\n"),
    );
    assert!(!ok);
    assert!(stderr.contains("expected officer"), "{stderr}");
}

#[test]
fn backup_and_restore_from_the_command_line_with_clear_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite:{}", dir.path().join("source.db").display());
    let file = dir.path().join("nightly.jzb");
    let file_arg = file.display().to_string();
    let (ok, _, stderr) = jiuzhu(&source, &["demo", "--password", "cli-demo-password"], None);
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = jiuzhu(&source, &["backup", "--to", &file_arg], None);
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with("backed up ") && stdout.contains("sha256 "),
        "{stdout}"
    );

    let target = format!("sqlite:{}", dir.path().join("restored.db").display());
    let (ok, stdout, stderr) = jiuzhu(&target, &["restore", "--from", &file_arg], None);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("restored "), "{stdout}");
    // Not twice into the same database, and never from a foreign file.
    let (ok, _, stderr) = jiuzhu(&target, &["restore", "--from", &file_arg], None);
    assert!(!ok);
    assert!(stderr.contains("not empty"), "{stderr}");
    let foreign = dir.path().join("photo.jpg");
    std::fs::write(&foreign, [0xff, 0xd8, 0xff, 0xe0]).unwrap();
    let fresh = format!("sqlite:{}", dir.path().join("fresh.db").display());
    let (ok, _, stderr) = jiuzhu(
        &fresh,
        &["restore", "--from", &foreign.display().to_string()],
        None,
    );
    assert!(!ok);
    assert!(stderr.contains("is not a Jiuzhu backup file"), "{stderr}");
}
