//! bearerbox and smsbox as child processes: started, watched and killed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::net::TcpStream;

/// bearerbox and smsbox, killed (smsbox first) and the directory removed on drop.
pub(super) struct Boxes {
    pub(super) children: Vec<(&'static str, Child)>,
    pub(super) dir: PathBuf,
    pub(super) keep: bool,
}

impl Boxes {
    pub(super) fn spawn(
        &mut self,
        name: &'static str,
        binary: &Path,
        log_level: u8,
        conf: &Path,
    ) -> anyhow::Result<()> {
        let stderr = std::fs::File::create(self.dir.join(format!("{name}.stderr")))?;
        let child = std::process::Command::new(binary)
            .arg("-v")
            .arg(log_level.to_string())
            .arg(conf)
            .stdin(Stdio::null())
            .stdout(stderr.try_clone()?)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {} (run scripts/install-kannel)", binary.display()))?;
        self.children.push((name, child));
        Ok(())
    }

    /// Fails if a box has exited.
    pub(super) fn check(&mut self) -> anyhow::Result<()> {
        for (name, child) in &mut self.children {
            if let Some(status) = child.try_wait()? {
                // Keep the configuration and logs for a look.
                self.keep = true;
                anyhow::bail!("{name} exited with {status}; see {}/{name}.stderr", self.dir.display());
            }
        }
        Ok(())
    }

    /// Each box's name and pid, to meter their CPU.
    pub(super) fn pids(&self) -> Vec<(String, u32)> {
        self.children.iter().map(|(name, child)| ((*name).to_owned(), child.id())).collect()
    }
}

impl Drop for Boxes {
    fn drop(&mut self) {
        for (_, child) in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A free port on 127.0.0.1 (released again, for a child process to bind).
pub(super) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `port` accepts connections; fails if a box exits meanwhile.
pub(super) async fn wait_port(port: u16, boxes: &mut Boxes, within: Duration) -> anyhow::Result<()> {
    let until = Instant::now() + within;
    loop {
        if TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).await.is_ok() {
            return Ok(());
        }
        boxes.check()?;
        if Instant::now() > until {
            anyhow::bail!("port {port} did not open within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
