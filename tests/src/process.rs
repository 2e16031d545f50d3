//! The gateway as a process of its own, and the work directory of its
//! configuration and log.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runtime::Settings;

/// Sends `signal` (a name such as `TERM`, `STOP`) to process `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// `target/<profile>/gateway`, which cargo builds with the integration tests
/// (they run from `target/<profile>/deps/`).
fn gateway_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent().and_then(|deps| deps.parent()).map(|dir| dir.join("gateway")).expect("target directory")
}

/// The gateway (every role) as a process of its own (`src/bin/gateway.rs`),
/// for tests that kill it, stop it gracefully or run several; killed when
/// dropped (also when the test fails).
pub struct Process(Child);

impl Process {
    /// Starts `gateway CONFIG` (every role), appending its log to `log`.
    pub fn start(config: &std::path::Path, log: &std::path::Path) -> Process {
        Process::start_role(config, log, "all")
    }

    /// Starts `gateway CONFIG ROLE`, appending its log to `log`.
    pub fn start_role(config: &std::path::Path, log: &std::path::Path, role: &str) -> Process {
        Process::start_with(config, log, role, &[])
    }

    /// Starts `gateway CONFIG ROLE` with extra environment variables.
    pub fn start_with(config: &std::path::Path, log: &std::path::Path, role: &str, env: &[(&str, &str)]) -> Process {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let child = Command::new(gateway_binary())
            .arg(config)
            .arg(role)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the gateway process");
        Process(child)
    }

    /// Sends it `signal` (`HUP`, ...).
    pub fn signal(&self, name: &str) {
        signal(self.0.id(), name);
    }

    /// SIGKILL, and wait until it is gone.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// SIGTERM (a rolling update's stop), and wait until it exits; its status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        signal(self.0.id(), "TERM");
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Its exit status if it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.0.try_wait().ok().flatten()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A gateway configuration written to a folder of its own, for tests that
/// run the gateway as [`Process`]es; its topics are created. The folder
/// (with the processes' log) is removed when the test passes, kept when it fails.
pub struct Workdir {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
    pub settings: Settings,
}

impl Workdir {
    pub async fn new(name: &str, toml: &str) -> Workdir {
        let dir = std::env::temp_dir().join(format!("smsgw-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (config, log) = (dir.join("gateway.toml"), dir.join("gateway.log"));
        std::fs::write(&config, toml).unwrap();
        let settings = Settings::from_toml(toml).unwrap();
        kafka::ensure_topics(&settings.kafka, &smsgw::topics(&settings), settings.kafka.partitions).await.unwrap();
        Workdir { dir, config, log, settings }
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
