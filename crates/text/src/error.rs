use crate::alphabet::{Encoding, MessageClass, Unencodable};

/// Why a text (or binary payload) could not be turned into segments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// A forced encoding cannot represent a character of the text.
    #[error("{encoding} cannot encode character {ch:?} at index {index}")]
    Unencodable {
        /// The encoding that was asked for.
        encoding: Encoding,
        /// The offending character.
        ch: char,
        /// Its position in the text, in characters.
        index: usize,
    },
    /// The message needs more segments than `SplitOptions::max_segments` allows.
    #[error("message needs {needed} segments, at most {max} allowed")]
    TooManySegments {
        /// Segments the message would need.
        needed: usize,
        /// The configured limit.
        max: usize,
    },
    /// The message does not fit in one `message_payload` TLV.
    #[error("message is {len} octets, message_payload holds at most {max}")]
    TooLong {
        /// Encoded length in octets.
        len: usize,
        /// The limit in octets.
        max: usize,
    },
    /// `Preference::Binary` was given for a text; binary payloads go through `split_binary`.
    #[error("binary encoding needs a binary payload, not text")]
    BinaryText,
    /// The encoding has no data coding value that carries a message class
    /// (only GSM 7-bit, 8-bit data and UCS-2 do, TS 23.038 §4).
    #[error("{encoding} cannot carry message class {class:?}")]
    ClassNotSupported {
        /// The chosen encoding.
        encoding: Encoding,
        /// The requested class.
        class: MessageClass,
    },
}

impl TextError {
    pub(crate) fn unencodable(encoding: Encoding, e: Unencodable) -> Self {
        TextError::Unencodable { encoding, ch: e.ch, index: e.index }
    }
}
