//! The commands the state machine sends, their text and how long each may take.

use std::time::Duration;

use crate::config::ModemConfig;
use crate::event::SubmitId;
use crate::submit::SubmitPdu;

/// `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>` (TS 27.005 §3.4.1), tried in order:
/// - mode 2: buffer result codes while the TA-TE link is busy (a command running)
///   and flush them after, so they arrive between responses, never inside a line;
/// - mt 1: store every SMS-DELIVER and indicate `+CMTI: <mem>,<index>`. Storage
///   survives a crash of the gateway, and the message is deleted only after the
///   caller recorded it;
/// - bm 0: no cell broadcast;
/// - ds 1: route status reports as `+CDS: <length>` + PDU (acknowledged with
///   `AT+CNMA` when `AT+CSMS=1` took); the fallbacks store them (ds 2, `+CDSI`) or
///   ask for none (ds 0) on modems that refuse ds 1;
/// - bfr 0: flush codes buffered while indications were off once this is set.
pub(crate) const INDICATIONS: [&str; 3] = ["2,1,0,1,0", "2,1,0,2,0", "2,1,0,0,0"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Sync,
    EchoOff,
    ErrorCodes,
    PinQuery,
    PinEnter,
    PduMode,
    ServiceSelect,
    Storage,
    Indications(usize),
    Submit { id: SubmitId, pdu: SubmitPdu },
    Read { index: u32 },
    List,
    Delete { index: u32 },
    Acknowledge,
    SignalQuality,
    Registration,
}

impl Command {
    /// For events and logs: never the PIN, never a PDU.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Command::Sync => "AT",
            Command::EchoOff => "ATE0",
            Command::ErrorCodes => "AT+CMEE=1",
            Command::PinQuery => "AT+CPIN?",
            Command::PinEnter => "AT+CPIN=<pin>",
            Command::PduMode => "AT+CMGF=0",
            Command::ServiceSelect => "AT+CSMS=1",
            Command::Storage => "AT+CPMS",
            Command::Indications(_) => "AT+CNMI",
            Command::Submit { .. } => "AT+CMGS",
            Command::Read { .. } => "AT+CMGR",
            Command::List => "AT+CMGL",
            Command::Delete { .. } => "AT+CMGD",
            Command::Acknowledge => "AT+CNMA",
            Command::SignalQuality => "AT+CSQ",
            Command::Registration => "AT+CREG?",
        }
    }

    /// The command line, CR-terminated (V.250 §5.2.1; S3 is CR by default).
    pub(crate) fn line(&self, config: &ModemConfig) -> Vec<u8> {
        let text = match self {
            Command::PinEnter => format!("AT+CPIN=\"{}\"", config.pin.as_ref().map_or("", |p| p.expose())),
            Command::Storage => {
                let m = config.storage.name();
                format!("AT+CPMS=\"{m}\",\"{m}\",\"{m}\"")
            }
            Command::Indications(variant) => {
                format!("AT+CNMI={}", INDICATIONS.get(*variant).copied().unwrap_or(INDICATIONS[0]))
            }
            Command::Submit { pdu, .. } => format!("AT+CMGS={}", pdu.tpdu_len),
            Command::Read { index } => format!("AT+CMGR={index}"),
            // 4 = "ALL" in PDU mode (TS 27.005 §3.1 <stat>).
            Command::List => "AT+CMGL=4".to_owned(),
            Command::Delete { index } => format!("AT+CMGD={index}"),
            other => other.name().to_owned(),
        };
        let mut bytes = text.into_bytes();
        bytes.push(b'\r');
        bytes
    }

    /// The information response prefix this command collects.
    pub(crate) fn info_prefix(&self) -> Option<&'static str> {
        match self {
            Command::PinQuery => Some("+CPIN"),
            Command::ServiceSelect => Some("+CSMS"),
            Command::Storage => Some("+CPMS"),
            Command::Submit { .. } => Some("+CMGS"),
            Command::Read { .. } => Some("+CMGR"),
            Command::List => Some("+CMGL"),
            Command::SignalQuality => Some("+CSQ"),
            Command::Registration => Some("+CREG"),
            _ => None,
        }
    }

    /// Up to the prompt for a submit; [`ModemConfig::submit_timeout`] applies after.
    pub(crate) fn timeout(&self, config: &ModemConfig) -> Duration {
        match self {
            Command::List => config.submit_timeout,
            _ => config.command_timeout,
        }
    }
}
