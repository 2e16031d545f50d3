//! A secret from the configuration — a bind password, a SIM PIN, a callback
//! or bearer token, an API header's value. Its `Debug` and `Display` never
//! show it, so no log line, error text or panic message that prints a
//! configuration can leak it; [`Secret::expose`] is the one way to read it,
//! at the place that sends it.

use serde::Deserialize;

/// A configuration value that must not be shown.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Its length in characters (validation may name it; the value never).
    pub fn chars(&self) -> usize {
        self.0.chars().count()
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

/// `***` (or `""` when empty, which is worth knowing and gives nothing away).
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("***")
        }
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

/// Whether a librdkafka property holds a credential (`sasl.password`,
/// `ssl.key.password`, `ssl.key.pem`, `sasl.oauthbearer.client.secret`, ...):
/// its value is shown as `***`.
pub fn is_secret_property(name: &str) -> bool {
    ["password", "secret", "key.pem", "jaas", "token", "sasl.oauthbearer.config", "keystore"]
        .iter()
        .any(|part| name.contains(part))
}

/// librdkafka properties, with credentials hidden from `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Properties(pub std::collections::BTreeMap<String, String>);

impl std::ops::Deref for Properties {
    type Target = std::collections::BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Properties {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.0 {
            if is_secret_property(name) {
                map.entry(name, &format_args!("***"));
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shown() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s} {s:#?}"), "*** *** ***");
        assert_eq!(format!("{:?}", Secret::default()), "\"\"");
        assert_eq!(s.expose(), "hunter2");
        let mut p = Properties::default();
        p.insert("sasl.password".into(), "kafka-secret".into());
        p.insert("ssl.key.pem".into(), "-----BEGIN".into());
        p.insert("security.protocol".into(), "SASL_SSL".into());
        let shown = format!("{p:?}");
        assert!(!shown.contains("kafka-secret") && !shown.contains("BEGIN"), "{shown}");
        assert!(shown.contains("SASL_SSL"), "{shown}");
    }
}
