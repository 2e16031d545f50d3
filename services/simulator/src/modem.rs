//! A GSM modem simulator: the scripted [`modem::fake::FakeModem`] (AT
//! commands of TS 27.005/27.007, PDU mode, status reports for submits that ask
//! for one, stored inbound messages announced with `+CMTI`) on one end of a
//! `socat` pseudo-terminal pair; the gateway opens the other end as its
//! serial device. For tests, demos and users' own tests of modem setups.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use modem::fake::FakeModem;

/// A running modem simulator; stopped (socat killed) when dropped.
pub struct ModemSim {
    socat: Child,
    /// The device path for the gateway's `device` key.
    pub host_path: PathBuf,
    device: Arc<Mutex<(FakeModem, File)>>,
}

impl ModemSim {
    /// Makes a pty pair with links in `dir` (`dir/host` for the gateway,
    /// `dir/device` for the fake) and serves the fake, whose SIM wants `pin`.
    pub fn start(dir: &Path, pin: Option<&str>) -> std::io::Result<ModemSim> {
        std::fs::create_dir_all(dir)?;
        let (host_path, device_path) = (dir.join("host"), dir.join("device"));
        let socat = Command::new("socat")
            .args(["-d", "-d"])
            .arg(format!("pty,raw,echo=0,link={}", host_path.display()))
            .arg(format!("pty,raw,echo=0,link={}", device_path.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(host_path.exists() && device_path.exists()) {
            if Instant::now() > deadline {
                return Err(std::io::Error::other("socat made no pty links within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let file = OpenOptions::new().read(true).write(true).open(&device_path)?;
        let mut reader = file.try_clone()?;
        let device = Arc::new(Mutex::new((FakeModem::new(pin), file)));
        let shared = device.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            // Ends when socat goes away (read error or end of file).
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                with(&shared, |fake| fake.handle_input(&buf[..n]));
            }
        });
        Ok(ModemSim { socat, host_path, device })
    }

    /// A message from `from` arrives: stored on the SIM and announced with `+CMTI`.
    pub fn send_mo(&self, from: &str, text: &str) {
        with(&self.device, |fake| {
            let pdu = fake.deliver_pdu(from, text);
            fake.store_inbound(&pdu, true);
        });
    }

    /// The next submit ends with this final result code (`+CMS ERROR: 38`, `ERROR`).
    pub fn fail_next_submit(&self, result: &str) {
        with(&self.device, |fake| fake.fail_next_submit(result));
    }

    /// An unsolicited line arrives between the next submit's PDU and its `+CMGS`.
    pub fn urc_during_next_submit(&self, line: &str) {
        with(&self.device, |fake| fake.urc_during_next_submit(line));
    }

    /// The SMS-SUBMIT PDUs received so far, hex with the SMSC address.
    pub fn submitted(&self) -> Vec<String> {
        with(&self.device, |fake| fake.submitted.clone())
    }

    /// Indexes of messages still stored on the SIM (deleted once the gateway recorded them).
    pub fn stored(&self) -> Vec<u32> {
        with(&self.device, |fake| fake.stored())
    }
}

fn with<T>(device: &Mutex<(FakeModem, File)>, f: impl FnOnce(&mut FakeModem) -> T) -> T {
    let mut guard = device.lock().unwrap_or_else(|e| e.into_inner());
    let (fake, file) = &mut *guard;
    let result = f(fake);
    let out = fake.take_output();
    if !out.is_empty() {
        if let Err(e) = file.write_all(&out) {
            tracing::warn!(error = %e, "modem simulator cannot write to its pty");
        }
    }
    result
}

impl Drop for ModemSim {
    fn drop(&mut self) {
        let _ = self.socat.kill();
        let _ = self.socat.wait();
    }
}
