//! The broker of a test: tansu on a free loopback port, killed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runtime::config::KafkaConfig;

use crate::{free_port, init_logs, signal};

fn tansu_binary() -> PathBuf {
    if let Ok(p) = std::env::var("TANSU") {
        return p.into();
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    for candidate in [format!("{home}/.cargo/bin/tansu"), "/usr/local/bin/tansu".into()] {
        if std::path::Path::new(&candidate).exists() {
            return candidate.into();
        }
    }
    "tansu".into()
}

/// A tansu broker on a free loopback port: in-memory storage, or SQLite
/// storage that survives a restart ([`Broker::start_persistent`]).
pub struct Broker {
    /// Where clients connect (the broker, or a [`Proxy`] in front of it).
    pub addr: String,
    child: Child,
    port: u16,
    advertised: u16,
    storage: String,
    /// Extra `tansu broker` arguments (`--authentication`).
    extra: Vec<&'static str>,
}

impl Broker {
    pub fn start() -> Broker {
        let port = free_port();
        Broker::start_with(port, port, "memory://tansu/".into(), Vec::new())
    }

    /// A broker listening on `port` that tells clients to connect to
    /// `advertised` (a [`Proxy`] in front of it).
    pub fn start_advertised(port: u16, advertised: u16) -> Broker {
        Broker::start_with(port, advertised, "memory://tansu/".into(), Vec::new())
    }

    /// A broker keeping its records in an SQLite file under `dir`, so that
    /// [`Broker::restart`] finds them again. Topics must be created before
    /// they are used (the gateway does at start-up).
    pub fn start_persistent(dir: &std::path::Path) -> Broker {
        let port = free_port();
        Broker::start_with(port, port, format!("sqlite:///{}", dir.join("tansu.db").display()), Vec::new())
    }

    /// A broker on `port`, advertising `advertised` (a TLS terminator in
    /// front of it), that requires SASL SCRAM from every client and knows
    /// `users`: (name, password, `scram256` or `scram512`). Its records and
    /// users are in an SQLite file under `dir`; topics must be created before
    /// they are used (the gateway does at start-up).
    ///
    /// tansu 0.6 keeps users in its storage and `tansu user create` cannot log
    /// in, so the users are created through a broker without
    /// `--authentication` on the same file, which then restarts with it
    /// (memory storage would forget them). It offers SCRAM-SHA-256 and
    /// SCRAM-SHA-512, not PLAIN (its SASL library is built without it).
    pub fn start_authenticating(
        dir: &std::path::Path,
        port: u16,
        advertised: u16,
        users: &[(&str, &str, &str)],
    ) -> Broker {
        let storage = format!("sqlite:///{}", dir.join("tansu.db").display());
        let setup = Broker::start_with(port, port, storage.clone(), Vec::new());
        let broker = format!("tcp://127.0.0.1:{port}");
        for &(name, password, mechanism) in users {
            let status = Command::new(tansu_binary())
                .args(["user", "create", "--broker", broker.as_str(), "--mechanism", mechanism, name, password])
                .stdout(Stdio::null())
                .status()
                .expect("run tansu user create");
            assert!(status.success(), "tansu user create {name}: {status}");
        }
        drop(setup);
        Broker::start_with(port, advertised, storage, vec!["--authentication"])
    }

    fn start_with(port: u16, advertised: u16, storage: String, extra: Vec<&'static str>) -> Broker {
        init_logs();
        let url = format!("tcp://127.0.0.1:{port}");
        let public = format!("tcp://127.0.0.1:{advertised}");
        let child = Command::new(tansu_binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &public,
                "--storage-engine",
                &storage,
            ])
            .args(&extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu (run .ci/run or scripts/install-deps to install it)");
        let listening = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&listening).is_err() {
            assert!(Instant::now() < deadline, "tansu did not start listening on {listening}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Broker { addr: format!("127.0.0.1:{advertised}"), child, port, advertised, storage, extra }
    }

    /// Kills the broker (SIGKILL) and starts it again on the same port and
    /// storage, as a crashed broker restarted by its supervisor.
    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    /// Kills the broker (SIGKILL) and leaves it down: clients find nothing
    /// listening until [`Broker::start_again`].
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a stopped broker again on the same port and storage.
    pub fn start_again(&mut self) {
        let again = Broker::start_with(self.port, self.advertised, self.storage.clone(), self.extra.clone());
        drop(std::mem::replace(self, again));
    }

    /// The `[kafka]` section of a test gateway's config on this broker:
    /// short sessions (a replica that dies is noticed in seconds), 2 partitions.
    pub fn kafka_toml(&self) -> String {
        format!("[kafka]\nbrokers = \"{}\"\nsession_timeout = \"3s\"\npartitions = 2\n", self.addr)
    }

    pub fn kafka_config(&self) -> KafkaConfig {
        let mut c = KafkaConfig::new(&self.addr);
        c.session_timeout = Duration::from_secs(3);
        c
    }
}

impl Broker {
    /// Freezes the broker process (SIGSTOP): connections stay open and
    /// nothing is answered, as a broker stalled in a long GC pause or on a
    /// hung disk.
    pub fn freeze(&self) {
        signal(self.child.id(), "STOP");
    }

    /// Lets a frozen broker go on (SIGCONT).
    pub fn thaw(&self) {
        signal(self.child.id(), "CONT");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
