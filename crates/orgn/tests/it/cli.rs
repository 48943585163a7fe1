//! The `orgn` command line, run as a real process: each bad input gets one clear line on
//! stderr, a non-zero exit, and leaves nothing half-written.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TempDir, free_port};

fn orgn(data: &TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgn"))
        .args(args)
        .env("ORGN_DATA_DIR", &data.path)
        .env("ORGN_PASSWORD", "correct horse battery")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("orgn runs")
}

fn ok(data: &TempDir, args: &[&str]) -> String {
    let out = orgn(data, args);
    assert!(
        out.status.success(),
        "orgn {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The one line of stderr of a failing command.
fn fails(data: &TempDir, args: &[&str]) -> String {
    let out = orgn(data, args);
    assert!(!out.status.success(), "orgn {args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {err}");
    lines[0].to_string()
}

#[test]
fn users_teams_and_memberships_from_the_command_line() {
    let data = TempDir::new();
    assert!(
        ok(
            &data,
            &[
                "user",
                "create",
                "--email",
                "Ada@Example.com",
                "--name",
                "Ada",
                "--admin"
            ]
        )
        .contains("ada@example.com")
    );
    ok(
        &data,
        &["team", "create", "--key", "eng", "--name", "Engineering"],
    );
    ok(
        &data,
        &[
            "team",
            "add-member",
            "--team",
            "ENG",
            "--email",
            "ada@example.com",
            "--role",
            "admin",
        ],
    );
    ok(
        &data,
        &[
            "team",
            "remove-member",
            "--team",
            "ENG",
            "--email",
            "ada@example.com",
        ],
    );

    assert_eq!(
        fails(
            &data,
            &["team", "create", "--key", "ENG", "--name", "Again"]
        ),
        "orgn: a team with key ENG already exists"
    );
    assert!(
        fails(&data, &["team", "create", "--key", "9X-", "--name", "Bad"])
            .contains("must be 1 to 7 letters or digits")
    );
    assert_eq!(
        fails(
            &data,
            &[
                "team",
                "add-member",
                "--team",
                "ENG",
                "--email",
                "nobody@example.com"
            ]
        ),
        "orgn: user nobody@example.com not found"
    );
    assert_eq!(
        fails(
            &data,
            &[
                "team",
                "add-member",
                "--team",
                "OPS",
                "--email",
                "ada@example.com"
            ]
        ),
        "orgn: team OPS not found"
    );
    assert!(
        fails(
            &data,
            &[
                "team",
                "remove-member",
                "--team",
                "ENG",
                "--email",
                "ada@example.com"
            ]
        )
        .contains("not found")
    );
    assert!(
        fails(
            &data,
            &[
                "user",
                "create",
                "--email",
                "ada@example.com",
                "--name",
                "Twice"
            ]
        )
        .contains("already exists")
    );
    assert!(
        fails(
            &data,
            &["user", "create", "--email", "not-an-email", "--name", "X"]
        )
        .contains("is not an email address")
    );
}

#[test]
fn a_password_is_required_off_a_terminal() {
    let data = TempDir::new();
    let out = Command::new(env!("CARGO_BIN_EXE_orgn"))
        .args(["user", "create", "--email", "a@example.com", "--name", "A"])
        .env("ORGN_DATA_DIR", &data.path)
        .env_remove("ORGN_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("set ORGN_PASSWORD"));
}

#[test]
fn an_unusable_data_dir_is_a_clear_error() {
    let data = TempDir::new();
    let file = data.path.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let blocked = file.join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_orgn"))
        .args([
            "team",
            "create",
            "--key",
            "ENG",
            "--name",
            "E",
            "--data-dir",
        ])
        .arg(&blocked)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("orgn: cannot create data dir"), "{err}");
}

#[test]
fn tokens_are_printed_once_and_shown_only_as_a_hint() {
    let data = TempDir::new();
    ok(
        &data,
        &[
            "user",
            "create",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
        ],
    );
    let token = ok(&data, &["token", "generate", "--email", "ada@example.com"])
        .trim()
        .to_string();
    assert!(token.starts_with("orgn_pat_"), "{token}");
    let shown = ok(&data, &["token", "show", "--email", "ada@example.com"]);
    assert!(!shown.contains(&token), "the token is never shown again");
    assert!(
        shown.contains(&token[token.len() - 4..]) && shown.contains("expires:"),
        "{shown}"
    );
    // Nothing of the token is in the database file but its digest.
    let db = std::fs::read(data.path.join("orgn.db")).unwrap();
    let wal = std::fs::read(data.path.join("orgn.db-wal")).unwrap_or_default();
    let needle = token.as_bytes();
    assert!(
        !db.windows(needle.len()).any(|w| w == needle)
            && !wal.windows(needle.len()).any(|w| w == needle)
    );
    assert!(
        fails(&data, &["token", "generate", "--email", "who@example.com"]).contains("not found")
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_demo(data: &TempDir, addr: &str) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_orgn"))
        .args(["serve", "--demo", "--addr", addr])
        .env("ORGN_DATA_DIR", &data.path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if Command::new(env!("CARGO_BIN_EXE_orgn"))
            .args(["healthcheck", "--addr", addr])
            .output()
            .unwrap()
            .status
            .success()
        {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("orgn serve --demo did not answer /healthz");
}

#[test]
fn serve_demo_seeds_once_and_answers_healthz() {
    let data = TempDir::new();
    let addr = format!("127.0.0.1:{}", free_port());
    assert!(
        !Command::new(env!("CARGO_BIN_EXE_orgn"))
            .args(["healthcheck", "--addr", &addr])
            .output()
            .unwrap()
            .status
            .success()
    );
    drop(serve_demo(&data, &addr));
    // The demo admin exists; a second start must not seed again (creating it twice would fail).
    let again = serve_demo(&data, &addr);
    drop(again);
    let out = orgn(
        &data,
        &[
            "user",
            "create",
            "--email",
            "demo@orgn.local",
            "--name",
            "Twice",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let token = ok(&data, &["token", "generate", "--email", "demo@orgn.local"]);
    assert!(token.starts_with("orgn_pat_"));
}

#[test]
fn a_public_url_that_is_not_an_origin_is_refused() {
    let data = TempDir::new();
    for url in [
        "orgn.example.com",
        "ftp://orgn.example.com",
        "https://orgn.example.com/orgn",
    ] {
        let line = fails(
            &data,
            &["serve", "--addr", "127.0.0.1:0", "--public-url", url],
        );
        assert!(line.contains("must be an http(s) origin"), "{url}: {line}");
    }
}
