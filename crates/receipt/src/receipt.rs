//! A delivery receipt from a deliver_sm (or anything shaped like one): the
//! esm_class check, the TLVs and the text, combined.

use smpp::tlv::{find, tag};
use smpp::{Sm, Tlv};

use crate::state::FinalState;
use crate::text::{self, ReceiptText};

/// esm_class bits 5-2, the message type (SMPP 3.4 §5.2.12).
const MESSAGE_TYPE_MASK: u8 = 0x3C;
/// "SMSC Delivery Receipt".
const SMSC_DELIVERY_RECEIPT: u8 = 0x04;
/// "Intermediate Delivery Notification".
const INTERMEDIATE_NOTIFICATION: u8 = 0x20;

/// A delivery receipt, ready for correlation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The SMSC message id the receipt is about: the `receipted_message_id`
    /// TLV when present and not blank, else the text's `id:`. Not
    /// normalised (see `msgid::DlrIdFormat`). Empty when the PDU claims to
    /// be a receipt but names no id anywhere — it cannot be correlated, but
    /// it is still a receipt and must not be taken for a mobile-originated
    /// message.
    pub message_id: String,
    /// The `message_state` TLV (§5.2.28) when present and in range, else the
    /// text's `stat:`, else [`FinalState::Unknown`].
    pub state: FinalState,
    /// The `network_error_code` TLV (§5.3.2.31), when it is three octets.
    pub network_error: Option<NetworkError>,
    /// The parsed receipt text, when there is text and it parses.
    pub text: Option<ReceiptText>,
    /// esm_class says "intermediate delivery notification" (0x20): more
    /// receipts for this message may follow whatever the state says.
    pub intermediate: bool,
}

/// The `network_error_code` TLV (SMPP 3.4 §5.3.2.31): one octet of network
/// type (1 ANSI-136, 2 IS-95, 3 GSM, …) and two of network-specific error
/// code, big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetworkError {
    pub network_type: u8,
    pub code: u16,
}

impl NetworkError {
    /// Reads the TLV value; `None` unless it is exactly three octets.
    pub fn from_tlv(tlv: &Tlv) -> Option<Self> {
        match tlv.value.as_ref() {
            [network_type, hi, lo] => Some(Self { network_type: *network_type, code: u16::from_be_bytes([*hi, *lo]) }),
            _ => None,
        }
    }
}

/// The receipt in a deliver_sm (or data_sm-like `Sm`), or `None` if it is
/// not one — then it is a mobile-originated message.
///
/// It is a receipt when the esm_class message type (bits 5-2, mask 0x3C,
/// §5.2.12) is SMSC delivery receipt (0x04) or intermediate delivery
/// notification (0x20), or when a `receipted_message_id` TLV is present
/// (some SMSCs set only that). Other message types (SME acknowledgements,
/// conversation abort) are not receipts.
///
/// The text is `short_message`, or the `message_payload` TLV when
/// `short_message` is empty, read as Latin-1 (one char per octet, so nothing
/// is lost and ids survive byte for byte).
pub fn from_deliver_sm(sm: &Sm) -> Option<Receipt> {
    let message_type = sm.esm_class & MESSAGE_TYPE_MASK;
    let receipted_id = find(&sm.tlvs, tag::RECEIPTED_MESSAGE_ID).map(Tlv::as_cstring);
    let intermediate = message_type == INTERMEDIATE_NOTIFICATION;
    if message_type != SMSC_DELIVERY_RECEIPT && !intermediate && receipted_id.is_none() {
        return None;
    }

    let body: &[u8] = if sm.short_message.is_empty() {
        find(&sm.tlvs, tag::MESSAGE_PAYLOAD).map(|t| t.value.as_ref()).unwrap_or_default()
    } else {
        &sm.short_message
    };
    let text = if body.is_empty() { None } else { text::parse(&latin1(body)).ok() };

    let message_id = receipted_id
        .filter(|id| !id.trim().is_empty())
        .or_else(|| text.as_ref().and_then(|t| t.id.clone()))
        .unwrap_or_default();
    let state = find(&sm.tlvs, tag::MESSAGE_STATE)
        .and_then(Tlv::as_u8)
        .and_then(FinalState::from_message_state)
        .or_else(|| text.as_ref().and_then(|t| t.state))
        .unwrap_or(FinalState::Unknown);
    let network_error = find(&sm.tlvs, tag::NETWORK_ERROR_CODE).and_then(NetworkError::from_tlv);

    Some(Receipt { message_id, state, network_error, text, intermediate })
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}
