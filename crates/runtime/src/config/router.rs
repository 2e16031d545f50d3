//! `[router]` and `[optout]`: how requests are validated and routed, and
//! the opt-out keywords of inbound messages.

use serde::Deserialize;

/// How requests are validated and routed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouterConfig {
    /// Connection used when no hint and no rule matches; requests are REJECTED when unset.
    pub default_connection: Option<String>,
    /// ISO 3166 region of national destination numbers (`DE`: `0151...` is
    /// `+49151...`), when valid there by libphonenumber's metadata; national
    /// numbers stay national when unset.
    pub default_country: Option<String>,
    /// Destination-prefix rules, first match wins.
    pub rules: Vec<RouteRule>,
    /// Requests needing more segments than this are REJECTED.
    pub max_segments: usize,
    /// Publish an ACCEPTED status event when a request is queued for its connection.
    pub accepted_events: bool,
    /// Largest `metadata` a request may carry (keys and values, in bytes). It is
    /// copied into the queue record, every segment's submit record and every
    /// event, so an unbounded map could make records the broker refuses;
    /// larger requests are REJECTED with code `metadata_too_large`.
    pub max_metadata_bytes: usize,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            default_connection: None,
            default_country: None,
            rules: Vec::new(),
            max_segments: 10,
            accepted_events: false,
            max_metadata_bytes: 4096,
        }
    }
}

/// Opt-outs: an inbound message whose whole text is a stop keyword (any
/// case, surrounding spaces and punctuation ignored) opts its sender out of
/// messages from the number it was sent to; a start keyword opts back in.
/// Later requests from that number to that subscriber are REJECTED `opted_out`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptOutConfig {
    /// Watch inbound messages for the keywords.
    pub enabled: bool,
    /// Stop keywords, any language.
    pub stop_keywords: Vec<String>,
    /// Start keywords, any language.
    pub start_keywords: Vec<String>,
}

impl Default for OptOutConfig {
    fn default() -> Self {
        // The CTIA's (US) and common European ones.
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect();
        Self {
            enabled: true,
            stop_keywords: words(&[
                "STOP",
                "STOPALL",
                "UNSUBSCRIBE",
                "CANCEL",
                "END",
                "QUIT",
                "STOPP",
                "ARRET",
                "ARRÊT",
                "BAJA",
                "ABMELDEN",
            ]),
            start_keywords: words(&["START", "UNSTOP", "YES"]),
        }
    }
}

/// A destination-prefix routing rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    /// Digits the normalised destination (international, without `+`) starts with; a leading `+` is ignored.
    pub prefix: String,
    /// Connection id to use.
    pub connection: String,
}
