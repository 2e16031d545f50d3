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

fn text_plan(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child = smsgw()
        .arg("text")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default().as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn text_shows_encoding_segments_and_bytes() {
    let out = text_plan(&["hello €"], None);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "encoding: GSM 7-bit (default tables)\ndata_coding: 0x00\nsegments: 1\n\
         segment 1/1: 7 characters, 8 septets, udh 0 octets\n  bytes: 68656c6c6f201b65\n"
    );
}

#[test]
fn text_uses_the_connections_tables_from_the_config_and_reads_stdin() {
    let turkish: String = "Işık ağaçları şöyle güzel; ".chars().cycle().take(400).collect();
    let without = text_plan(&[], Some(&format!("{turkish}\n")));
    let stdout = String::from_utf8_lossy(&without.stdout);
    assert!(stdout.starts_with("encoding: UCS-2\ndata_coding: 0x08\nsegments: 6\n"), "{stdout}");

    let (_dir, path) = write_config(&VALID.replace("port = 2775", "port = 2775\nnational_languages = [\"turkish\"]"));
    let with = text_plan(&["--config", path.to_str().unwrap(), "--connection", "sim", &turkish], None);
    let stdout = String::from_utf8_lossy(&with.stdout);
    assert!(stdout.starts_with("encoding: GSM 7-bit (turkish"), "{stdout}");
    let segments: usize = stdout.lines().nth(2).unwrap().trim_start_matches("segments: ").parse().unwrap();
    assert!(segments < 6, "{stdout}");
}

#[test]
fn text_names_a_character_the_forced_encoding_lacks() {
    let out = text_plan(&["--encoding", "gsm7", "ab😀"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GSM 7-bit cannot encode character '😀' at index 2"), "{stderr}");
    let out = text_plan(&["--languages", "klingon", "x"], None);
    assert_eq!(out.status.code(), Some(2), "usage error");
}

#[test]
fn the_log_file_is_written_in_the_log_format() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("smsgw.log");
    let text = format!(
        "[telemetry]\nlog_format = \"json\"\nlog_file = \"{}\"\nlog_max_bytes = 4096\nlog_keep = 2\n{VALID}",
        log.display()
    );
    let (_config_dir, path) = write_config(&text);
    let mut child = smsgw().args(["run", "--config"]).arg(&path).stderr(std::process::Stdio::null()).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let first = loop {
        let written = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = written.lines().find(|l| l.contains("smsgw starting")) {
            break line.to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "nothing logged to the file: {written}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let event: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
    assert_eq!(event["fields"]["message"], "smsgw starting", "{first}");
}

#[test]
fn an_unreadable_tls_file_exits_64_naming_the_key_and_the_file() {
    let (_dir, path) =
        write_config(&VALID.replace("port = 2775", "port = 2775\ntls = true\ntls_ca = \"/nonexistent/smsc-ca.pem\""));
    let out = smsgw().args(["run", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connections[0].tls_ca") && stderr.contains("/nonexistent/smsc-ca.pem"), "{stderr}");
}

#[test]
fn the_simulator_refuses_tls_files_it_cannot_read() {
    let out = smsgw()
        .args([
            "sim",
            "smpp",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent/c.pem",
            "--tls-key",
            "/nonexistent/k.pem",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read /nonexistent/c.pem"), "{stderr}");
    let out = smsgw().args(["sim", "smpp", "--tls-cert", "/c.pem"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--tls-cert needs --tls-key");
}
