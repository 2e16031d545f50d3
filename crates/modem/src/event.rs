//! What the modem state machine tells its caller ([`crate::Modem::poll_event`]).

use crate::at_error::AtError;
use crate::deliver::Deliver;
use crate::error::DecodeError;
use crate::status_report::StatusReport;

/// Names one submit from [`crate::Modem::submit`] to its single terminal event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubmitId(pub u64);

/// Names one received PDU until the caller confirms it with
/// [`crate::Modem::confirm`]. Void after a reset: the message comes again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InboundId(pub u64);

/// Whether a failed submit may have reached the SMSC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Certainly not: the PDU was never written, or the network or SMSC refused it.
    No,
    /// The PDU was written but no `+CMGS` came back: it may have gone out. Resending
    /// risks a duplicate, not resending a loss.
    Unknown,
}

/// Why a submit failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// An error result code ([`AtError::is_temporary`] says whether to retry).
    At(AtError),
    /// No final result code in time; the modem is also reported unresponsive.
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmitFailure {
    pub cause: Cause,
    /// Whether the same message may succeed later (here or through another modem).
    pub temporary: bool,
    pub sent: Sent,
}

/// Why initialisation stopped. Each needs a person or a different configuration;
/// [`crate::Modem::reset`] tries again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitError {
    /// The SIM asks for a PIN and none is configured.
    PinRequired,
    /// The SIM PIN was refused (not retried: the SIM locks after three).
    PinRejected(AtError),
    /// `AT+CPIN?` answered something other than READY or SIM PIN (SIM PUK, PH-SIM
    /// PIN, ...).
    SimLocked(String),
    /// A command the gateway cannot work without failed.
    Command { command: &'static str, error: AtError },
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Initialised: PDU mode, indications on; submits are being sent.
    Ready {
        /// `AT+CSMS=1` worked: `+CMT`/`+CDS` are acknowledged with `AT+CNMA` when
        /// confirmed, so the network redelivers what the caller did not record.
        acknowledged_routing: bool,
    },
    InitFailed(InitError),
    /// `+CMGS: <mr>` and OK: the SMSC accepted it. `mr` is the key of the status
    /// report; `None` when the modem sent OK without `+CMGS`.
    Submitted {
        id: SubmitId,
        mr: Option<u8>,
    },
    /// The submit's terminal failure.
    SubmitFailed {
        id: SubmitId,
        failure: SubmitFailure,
    },
    /// A received message. Record it, then [`crate::Modem::confirm`] `id`: only
    /// then is it deleted from storage (or acknowledged with `AT+CNMA`).
    Received {
        id: InboundId,
        deliver: Deliver,
    },
    /// A status report, to be confirmed like [`Event::Received`].
    StatusReport {
        id: InboundId,
        report: StatusReport,
    },
    /// A received PDU that does not decode. Confirm to delete it anyway.
    Undecodable {
        id: InboundId,
        pdu: String,
        error: DecodeError,
    },
    /// `AT+CSQ` (TS 27.007 §8.5): `rssi` 0-31 (−113 + 2·rssi dBm) or 99 unknown,
    /// `ber` 0-7 or 99.
    Signal {
        rssi: u8,
        ber: u8,
    },
    /// `AT+CREG?` (TS 27.007 §7.2): 0 not registered, 1 home, 2 searching, 3 denied,
    /// 4 unknown, 5 roaming.
    Registration {
        status: u8,
    },
    /// A command other than a submit failed (read, delete, acknowledge, health).
    CommandFailed {
        command: &'static str,
        error: AtError,
    },
    /// No final result code within the timeout. Nothing more is sent: close and
    /// reopen the port, then [`crate::Modem::reset`].
    Unresponsive {
        command: &'static str,
    },
    /// A line that means nothing here: `RING`, `+CREG: <stat>`, vendor URCs such
    /// as `^BOOT:`, a stray result code. May hold a number: log it at debug level.
    Ignored {
        line: String,
    },
}
