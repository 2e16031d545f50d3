//! The binary's contract with operators: bad configuration exits 64 (EX_USAGE)
//! and names the key; the simulator subcommand serves SMPP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn smsgw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_smsgw"))
}

fn write_config(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smsgw.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const VALID: &str = r#"
[kafka]
brokers = "127.0.0.1:1"
[[connections]]
id = "sim"
protocol = "smpp"
host = "127.0.0.1"
port = 2775
system_id = "smsgw"
"#;

#[test]
fn unknown_key_exits_64_naming_it() {
    let (_dir, path) = write_config(&VALID.replace("port = 2775", "port = 2775\nwindoww = 5"));
    let out = smsgw().args(["run", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("windoww"), "{stderr}");
}

#[test]
fn bad_value_exits_64_naming_the_key() {
    let (_dir, path) = write_config(&VALID.replace("port = 2775", "port = 0"));
    let out = smsgw().args(["run", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("connections[0].port"));
}

#[test]
fn environment_override_is_validated_too() {
    let (_dir, path) = write_config(VALID);
    let out = smsgw().args(["run", "--config"]).arg(&path).env("SMSGW__KAFKA__BROKERS", "").output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kafka.brokers"));
}

#[test]
fn missing_file_exits_64() {
    let out = smsgw().args(["run", "--config", "/nonexistent/smsgw.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
}
