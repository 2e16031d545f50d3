//! TLS settings of SMPP, UCP and CIMD2 connections (`tls`, `tls_ca`,
//! `tls_cert`, `tls_key`, `tls_server_name`): checked at start-up by building
//! the very client configuration the links use ([`client`]), so a missing,
//! unreadable or mismatched file stops start-up with the key named instead of
//! failing every connection attempt later.

use std::sync::Arc;

use tls::rustls::pki_types::ServerName;
use tls::rustls::ClientConfig;

use super::{invalid, ConfigError, Smsc};

/// What a link needs for its TLS handshake.
#[derive(Debug, Clone)]
pub struct LinkTls {
    pub config: Arc<ClientConfig>,
    /// The name the SMSC's certificate must carry (`tls_server_name`, else `host`).
    pub server_name: ServerName<'static>,
}

/// The TLS client of connection `c`: `None` without `tls = true`; an error
/// naming the bad key (relative to the connection) and why.
pub fn client(c: &Smsc) -> Result<Option<LinkTls>, (&'static str, tls::Error)> {
    if !c.tls {
        return Ok(None);
    }
    let name = c.tls_server_name.as_deref().unwrap_or(&c.host);
    let server_name = tls::server_name(name)
        .map_err(|e| (if c.tls_server_name.is_some() { "tls_server_name" } else { "host" }, e))?;
    let identity = match (&c.tls_cert, &c.tls_key) {
        (Some(cert), Some(key)) => Some(tls::Identity { cert, key }),
        _ => None,
    };
    // Trust first, so a bad CA file is reported as `tls_ca`, not as the identity.
    tls::roots(c.tls_ca.as_deref()).map_err(|e| ("tls_ca", e))?;
    let config = tls::client_config(c.tls_ca.as_deref(), identity).map_err(|e| ("tls_cert", e))?;
    Ok(Some(LinkTls { config, server_name }))
}

/// Checks the TLS keys of connection `c` (at `key`, e.g. `connections[0]`).
pub(super) fn validate(c: &Smsc, key: &str) -> Result<(), ConfigError> {
    let set = [
        ("tls", c.tls),
        ("tls_ca", c.tls_ca.is_some()),
        ("tls_cert", c.tls_cert.is_some()),
        ("tls_key", c.tls_key.is_some()),
        ("tls_server_name", c.tls_server_name.is_some()),
    ];
    let Some((first, _)) = set.iter().find(|(_, set)| *set) else { return Ok(()) };
    if !c.tls {
        return Err(invalid(format!("{key}.{first}"), "set together with tls = true"));
    }
    match (&c.tls_cert, &c.tls_key) {
        (Some(_), None) => return Err(invalid(format!("{key}.tls_key"), "required with tls_cert")),
        (None, Some(_)) => return Err(invalid(format!("{key}.tls_cert"), "required with tls_key")),
        _ => {}
    }
    client(c).map(|_| ()).map_err(|(name, e)| invalid(format!("{key}.{name}"), e.to_string()))
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    const SMPP: &str = "[kafka]\nbrokers = \"b:9092\"\n[[connections]]\nid = \"s\"\nprotocol = \"smpp\"\nhost = \"smsc.example.net\"\nport = 3550\nsystem_id = \"x\"\n";

    fn error_of(extra: &str) -> String {
        match Settings::from_toml(&format!("{SMPP}{extra}\n")) {
            Ok(_) => panic!("accepted: {extra}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn tls_keys_need_tls_and_go_in_pairs() {
        let e = error_of("tls_ca = \"/ca.pem\"");
        assert!(e.contains("connections[0].tls_ca") && e.contains("set together with tls = true"), "{e}");
        assert!(error_of("tls = true\ntls_cert = \"/c.pem\"").contains("connections[0].tls_key"));
        assert!(error_of("tls = true\ntls_key = \"/k.pem\"").contains("connections[0].tls_cert"));
        let http = "[kafka]\nbrokers = \"b:9092\"\n[[connections]]\nid = \"h\"\nprotocol = \"http\"\nurl = \"https://a.example\"\ntls = true\n";
        let e = Settings::from_toml(http).unwrap_err().to_string();
        assert!(e.contains("connections[0]") && e.contains("`tls`") && e.contains("https://"), "{e}");
    }

    #[test]
    fn tls_files_are_read_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let e = error_of(&format!("tls = true\ntls_ca = \"{}\"", missing.display()));
        assert!(e.contains("connections[0].tls_ca") && e.contains("cannot read") && e.contains("nope.pem"), "{e}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "hello\n").unwrap();
        let e = error_of(&format!("tls = true\ntls_ca = \"{}\"", junk.display()));
        assert!(e.contains("connections[0].tls_ca") && e.contains("no PEM certificate"), "{e}");
        let e = error_of("tls = true\ntls_server_name = \"not a name\"");
        assert!(e.contains("connections[0].tls_server_name"), "{e}");
    }
}
