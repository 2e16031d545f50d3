//! Test support for the cross-checks against independent implementations on
//! PyPI (`crates/*/tests/xcheck.rs`): each test hands a JSON request to its own
//! `tests/xcheck/xcheck.py`, which runs the Python packages, and compares.
//!
//! The Python environment is `${SMSGW_PYENV:-$HOME/.cache/smsgw/pyenv}`, made
//! by `scripts/install-deps`. Without it a test is skipped with a printed
//! reason, except under CI (`CI` set), where a missing environment fails it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The Python of the cross-check environment.
#[derive(Debug, Clone)]
pub struct Python(PathBuf);

impl Python {
    /// The environment's interpreter; `None` (after printing why) when there
    /// is none and `CI` is not set.
    ///
    /// # Panics
    /// When there is no environment and `CI` is set.
    pub fn find() -> Option<Python> {
        let env = match std::env::var_os("SMSGW_PYENV") {
            Some(dir) => Some(PathBuf::from(dir)),
            None => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/smsgw/pyenv")),
        };
        let python = env.map(|e| e.join("bin/python")).filter(|p| p.exists());
        if python.is_none() {
            let reason = "xcheck skipped: no Python environment at ${SMSGW_PYENV:-$HOME/.cache/smsgw/pyenv} \
                          (scripts/install-deps makes it)";
            assert!(std::env::var_os("CI").is_none(), "{reason}, and CI is set");
            println!("{reason}");
        }
        python.map(Python)
    }

    /// Runs `script` with `request` on its standard input; its JSON answer.
    ///
    /// # Panics
    /// When the script cannot run, fails, or does not answer JSON: the cross-check cannot be made.
    pub fn ask(&self, script: &Path, request: &Value) -> Value {
        let mut child = match Command::new(&self.0)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => panic!("cannot start {}: {e}", self.0.display()),
        };
        if let Some(mut stdin) = child.stdin.take() {
            if let Err(e) = stdin.write_all(request.to_string().as_bytes()) {
                panic!("cannot write to {}: {e}", script.display());
            }
        }
        let out = match child.wait_with_output() {
            Ok(out) => out,
            Err(e) => panic!("{} did not finish: {e}", script.display()),
        };
        assert!(
            out.status.success(),
            "{} failed (run scripts/install-deps?): {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => panic!("{} answered no JSON: {e}", script.display()),
        }
    }
}
