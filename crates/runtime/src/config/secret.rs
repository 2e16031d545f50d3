//! A configuration value that must stay out of logs: its `Debug` shows
//! only that it is set, so a `{:?}` of the configuration cannot leak it.

use serde::Deserialize;

/// A password or token read from the configuration or the environment.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        assert_eq!(format!("{:?}", Some(Secret::new("hunter2"))), "Some(Secret(..))");
        assert_eq!(Secret::new("hunter2").expose(), "hunter2");
    }
}
