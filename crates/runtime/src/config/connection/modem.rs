//! The keys of a GSM modem connection (run by the modem host role).

use serde::Deserialize;

use crate::config::{invalid, ConfigError, Secret};

/// A GSM modem on a serial port.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModemConfig {
    /// Serial device of a modem (`/dev/ttyUSB0`, `/dev/serial/by-id/...`).
    #[serde(default)]
    pub device: String,
    /// Serial speed of a modem.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// SIM PIN of a modem, when the SIM asks for one; best set from the
    /// environment (`SMSGW__CONNECTIONS__<ID>__PIN`, see `config::env`) or a secret, never in a file
    /// under version control. Never logged.
    #[serde(default)]
    pub pin: Option<Secret>,
}

impl Default for ModemConfig {
    fn default() -> Self {
        ModemConfig { device: String::new(), baud: default_baud(), pin: None }
    }
}

fn default_baud() -> u32 {
    115_200
}

impl ModemConfig {
    pub(super) fn validate(&self, key: &str) -> Result<(), ConfigError> {
        if self.device.is_empty() {
            return Err(invalid(format!("{key}.device"), "must name the modem's serial device"));
        }
        if self
            .pin
            .as_ref()
            .map(Secret::expose)
            .is_some_and(|p| !(4..=8).contains(&p.len()) || !p.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(invalid(format!("{key}.pin"), "must be 4 to 8 digits"));
        }
        Ok(())
    }
}
