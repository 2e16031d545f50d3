//! TLS for tests: a throw-away certificate authority with server and client
//! certificates made at run time by the `openssl` command line, and Debian's
//! `stunnel4` as a TLS terminator written by others in front of a plaintext
//! service (the tansu broker, node-smpp, a simulator). Installed by
//! `scripts/install-deps`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// PEM files of a test CA and the certificates it signed, in a temporary directory.
pub struct Certs {
    _dir: tempfile::TempDir,
    /// The CA certificate: what a client trusts.
    pub ca: PathBuf,
    /// A server certificate for `localhost` and `127.0.0.1`, and its key.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// A client certificate (CN `smsgw-client`), and its key.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A second CA, which signed nothing here: trusting only it makes the server untrusted.
    pub other_ca: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl (scripts/install-deps)");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

impl Certs {
    /// Makes a CA, a server certificate for `localhost`/`127.0.0.1` and a client certificate.
    pub fn generate() -> Certs {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in ["ca", "other-ca"] {
            let subject = format!("/CN=smsgw test {name}");
            openssl(
                d,
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.pem"),
                    "-subj",
                    &subject,
                    "-days",
                    "2",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            );
        }
        let leaf = |name: &str, subject: &str, extensions: &str| {
            std::fs::write(d.join(format!("{name}.ext")), extensions).unwrap();
            openssl(
                d,
                &[
                    "req",
                    "-new",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                    "-subj",
                    subject,
                ],
            );
            openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    &format!("{name}.pem"),
                    "-days",
                    "2",
                    "-extfile",
                    &format!("{name}.ext"),
                ],
            );
        };
        leaf(
            "server",
            "/CN=localhost",
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
        );
        leaf(
            "client",
            "/CN=smsgw-client",
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
        );
        Certs {
            ca: d.join("ca.pem"),
            server_cert: d.join("server.pem"),
            server_key: d.join("server.key"),
            client_cert: d.join("client.pem"),
            client_key: d.join("client.key"),
            other_ca: d.join("other-ca.pem"),
            _dir: dir,
        }
    }
}

/// `stunnel4` terminating TLS on a free loopback port and forwarding the
/// plaintext to `127.0.0.1:target`; killed when dropped.
pub struct Stunnel {
    /// Where TLS clients connect.
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Stunnel {
    /// TLS with `certs`' server certificate in front of `127.0.0.1:target`.
    pub fn start(certs: &Certs, target: u16) -> Stunnel {
        Stunnel::start_with(certs, target, "")
    }

    /// As [`Stunnel::start`], with extra service options (e.g.
    /// `verifyChain = yes` and `CAfile = ...` to require client certificates).
    pub fn start_with(certs: &Certs, target: u16, extra: &str) -> Stunnel {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = format!(
            "foreground = yes\npid =\ndebug = notice\n[tls]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{target}\ncert = {cert}\nkey = {key}\n{extra}\n",
            cert = certs.server_cert.display(),
            key = certs.server_key.display(),
        );
        let path = dir.path().join("stunnel.conf");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("stunnel.log")).unwrap();
        let child = Command::new(stunnel_binary())
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("stunnel4 (scripts/install-deps)");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "stunnel did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Stunnel { port, child, _dir: dir }
    }

    /// What stunnel logged so far (handshake failures name their cause).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("stunnel.log")).unwrap_or_default()
    }
}

fn stunnel_binary() -> &'static str {
    if Path::new("/usr/bin/stunnel4").exists() {
        "/usr/bin/stunnel4"
    } else {
        "stunnel"
    }
}

impl Drop for Stunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
