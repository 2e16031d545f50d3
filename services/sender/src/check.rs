//! The protocols' limits on a configuration, read from the codec crates
//! that define them (so each is written once): run by `smsgw` at start-up
//! and on every reload (`runtime::config::Check`), for every role, since the
//! file is shared.

use runtime::config::{ConfigError, Link};
use runtime::Settings;

/// Refuses a connection beyond its protocol's limits, naming the key.
pub fn check(settings: &Settings) -> Result<(), ConfigError> {
    for (i, c) in settings.connections.iter().enumerate() {
        let key = |name: &str| format!("connections[{i}].{name}");
        match &c.link {
            Link::Smpp(smsc, smpp) => {
                if smsc.system_id.len() > smpp::MAX_SYSTEM_ID {
                    let reason = format!("must be 1 to {} characters (SMPP 3.4 §4.1.1)", smpp::MAX_SYSTEM_ID);
                    return Err(ConfigError::invalid(key("system_id"), reason));
                }
                if smsc.password.expose().len() > smpp::MAX_PASSWORD {
                    let reason = format!("must be at most {} characters (SMPP 3.4 §4.1.1)", smpp::MAX_PASSWORD);
                    return Err(ConfigError::invalid(key("password"), reason));
                }
                if smpp.system_type.len() > smpp::MAX_SYSTEM_TYPE {
                    let reason = format!("must be at most {} characters (SMPP 3.4 §4.1.1)", smpp::MAX_SYSTEM_TYPE);
                    return Err(ConfigError::invalid(key("system_type"), reason));
                }
            }
            Link::Ucp(..) if c.window > ucp::session::MAX_WINDOW => {
                let reason = format!("must be at most {} for UCP (two-digit TRN)", ucp::session::MAX_WINDOW);
                return Err(ConfigError::invalid(key("window"), reason));
            }
            Link::Cimd2(..) if c.window > cimd2::session::MAX_WINDOW => {
                let reason = format!("must be at most {} for CIMD2 (odd packet numbers)", cimd2::session::MAX_WINDOW);
                return Err(ConfigError::invalid(key("window"), reason));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(connection: &str) -> String {
        let toml =
            format!("[kafka]\nbrokers = \"b:1\"\n[[connections]]\nid = \"c\"\nhost = \"h\"\nport = 1\n{connection}\n");
        let settings = Settings::from_toml(&toml).unwrap();
        check(&settings).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn protocol_limits_name_their_key() {
        let ucp = "protocol = \"ucp\"\nsystem_id = \"s\"";
        assert_eq!(error_of(&format!("{ucp}\nwindow = 100")), "");
        assert!(error_of(&format!("{ucp}\nwindow = 101")).contains("connections[0].window"));
        let cimd2 = "protocol = \"cimd2\"\nsystem_id = \"s\"";
        assert_eq!(error_of(&format!("{cimd2}\nwindow = 125")), "");
        assert!(error_of(&format!("{cimd2}\nwindow = 126")).contains("connections[0].window"));
        let smpp = "protocol = \"smpp\"";
        assert_eq!(error_of(&format!("{smpp}\nsystem_id = \"{}\"", "s".repeat(15))), "");
        assert!(error_of(&format!("{smpp}\nsystem_id = \"{}\"", "s".repeat(16))).contains("connections[0].system_id"));
        assert!(error_of(&format!("{smpp}\nsystem_id = \"s\"\npassword = \"123456789\""))
            .contains("connections[0].password"));
        assert!(error_of(&format!("{smpp}\nsystem_id = \"s\"\nsystem_type = \"{}\"", "t".repeat(13)))
            .contains("connections[0].system_type"));
    }
}
