//! The body template of an `http` connection: literals and `{name}`
//! placeholders.

/// A value the body template can carry, written `{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// Destination: digits (no `+`) or as the request wrote it when not a number.
    To,
    /// Source, likewise; empty when the request has none and no `default_source`.
    From,
    /// The whole text, decoded from the submission with its data coding.
    Text,
    /// The data coding (decimal), e.g. `0` GSM, `8` UCS-2.
    DataCoding,
    /// The UDH in hex (national language shift tables), usually empty.
    UdhHex,
    /// The encoded user data in hex (GSM septets unpacked, UCS-2 big-endian, binary as is).
    PayloadHex,
    /// `1` when a delivery report is requested, else `0`.
    Receipt,
    /// The request id: stable across retries, so a provider that deduplicates by it can.
    Reference,
    /// Validity end as RFC 3339 UTC (`2026-11-26T12:54:00Z`); empty when the request has none.
    ExpiresAt,
}

impl Placeholder {
    pub const ALL: [Placeholder; 9] = [
        Placeholder::To,
        Placeholder::From,
        Placeholder::Text,
        Placeholder::DataCoding,
        Placeholder::UdhHex,
        Placeholder::PayloadHex,
        Placeholder::Receipt,
        Placeholder::Reference,
        Placeholder::ExpiresAt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Placeholder::To => "to",
            Placeholder::From => "from",
            Placeholder::Text => "text",
            Placeholder::DataCoding => "data_coding",
            Placeholder::UdhHex => "udh_hex",
            Placeholder::PayloadHex => "payload_hex",
            Placeholder::Receipt => "receipt",
            Placeholder::Reference => "reference",
            Placeholder::ExpiresAt => "expires_at",
        }
    }
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    Value(Placeholder),
}

/// Splits a template into literals and placeholders. Only `{name}` with a
/// lower-case name is a placeholder (so JSON braces stay literal), and the
/// name must be known: a typo is an error, not text sent to the provider.
pub fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        literal.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after.find('}').map(|close| &after[..close]);
        match name {
            Some(name)
                if !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
            {
                let Some(p) = Placeholder::ALL.into_iter().find(|p| p.name() == name) else {
                    let known: Vec<_> = Placeholder::ALL.iter().map(|p| format!("{{{}}}", p.name())).collect();
                    return Err(format!("unknown placeholder `{{{name}}}`; known: {}", known.join(", ")));
                };
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Value(p));
                rest = &after[name.len() + 1..];
            }
            _ => {
                literal.push('{');
                rest = after;
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// The body used when `body` is unset (the simulator's API).
pub const DEFAULT_JSON_BODY: &str = r#"{"to":"{to}","from":"{from}","text":"{text}"}"#;
/// The form / query string used when `body` is unset.
pub const DEFAULT_FORM_BODY: &str = "to={to}&from={from}&text={text}";
