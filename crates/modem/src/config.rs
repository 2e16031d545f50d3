//! How a [`crate::Modem`] talks to its device. Passed explicitly; the gateway's
//! config layer builds it.

use std::fmt;
use std::time::Duration;

/// A SIM PIN. Its `Debug` shows no digits, so a config dump cannot leak it; the
/// state machine writes it only into the `AT+CPIN="<pin>"` bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    pub fn new(pin: impl Into<String>) -> Self {
        Pin(pin.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

/// Where received messages are stored (`AT+CPMS`, TS 27.005 §3.2.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Storage {
    /// The SIM card ("SM"): small (often 20-50 slots) but on every modem.
    #[default]
    Sim,
    /// The modem's own memory ("ME"): larger, not on every modem.
    Modem,
}

impl Storage {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Storage::Sim => "SM",
            Storage::Modem => "ME",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModemConfig {
    /// SIM PIN, sent only when `AT+CPIN?` answers `SIM PIN`. A rejected PIN is not
    /// retried (three wrong tries lock the SIM).
    pub pin: Option<Pin>,
    /// Preferred message storage for reading, writing and receiving.
    pub storage: Storage,
    /// How long a command may take to its final result code before the modem is
    /// reported [`crate::Event::Unresponsive`].
    pub command_timeout: Duration,
    /// The same for `AT+CMGS` after the PDU was written and for `AT+CMGL`: sending
    /// waits for the network (TS 24.011 timer TR1M is 35-45 s), listing reads the
    /// whole storage.
    pub submit_timeout: Duration,
    /// How often to ask `AT+CSQ` and `AT+CREG?` while idle.
    pub health_interval: Duration,
}

impl Default for ModemConfig {
    fn default() -> Self {
        ModemConfig {
            pin: None,
            storage: Storage::Sim,
            command_timeout: Duration::from_secs(10),
            submit_timeout: Duration::from_secs(60),
            health_interval: Duration::from_secs(60),
        }
    }
}
