//! Choosing a connection: the request's hint, else the first matching
//! destination-prefix rule, else the default connection.

use runtime::config::RouterConfig;

use crate::number::Number;

/// Why no connection could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("unknown connection `{0}`")]
    UnknownConnection(String),
    #[error("no route matches the destination and no default connection is configured")]
    NoRoute,
}

/// The routing table, built once from configuration.
#[derive(Debug, Clone)]
pub struct Routes {
    connections: Vec<String>,
    rules: Vec<(String, String)>,
    default: Option<String>,
}

impl Routes {
    pub fn new(config: &RouterConfig, connections: impl IntoIterator<Item = String>) -> Self {
        Self {
            connections: connections.into_iter().collect(),
            rules: config
                .rules
                .iter()
                .map(|r| (r.prefix.trim_start_matches('+').to_owned(), r.connection.clone()))
                .collect(),
            default: config.default_connection.clone(),
        }
    }

    /// The connection for a request with this hint and destination.
    pub fn pick(&self, hint: Option<&str>, to: &Number) -> Result<&str, RouteError> {
        if let Some(hint) = hint {
            return self
                .connections
                .iter()
                .find(|c| *c == hint)
                .map(String::as_str)
                .ok_or_else(|| RouteError::UnknownConnection(hint.to_owned()));
        }
        // Prefix rules are written in international form; national numbers match them as typed.
        if let Some((_, conn)) = self.rules.iter().find(|(prefix, _)| to.digits().starts_with(prefix.as_str())) {
            return Ok(conn);
        }
        self.default.as_deref().ok_or(RouteError::NoRoute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime::config::RouteRule;

    fn routes() -> Routes {
        let config = RouterConfig {
            default_connection: Some("default".into()),
            rules: vec![
                RouteRule { prefix: "+49".into(), connection: "de".into() },
                RouteRule { prefix: "4915".into(), connection: "never".into() },
                RouteRule { prefix: "44".into(), connection: "uk".into() },
            ],
            ..RouterConfig::default()
        };
        Routes::new(&config, ["default", "de", "uk", "never"].map(String::from))
    }

    #[test]
    fn hint_then_first_rule_then_default() {
        let r = routes();
        let de = Number::International("4915112345678".into());
        assert_eq!(r.pick(Some("uk"), &de), Ok("uk"));
        assert_eq!(r.pick(None, &de), Ok("de"), "first matching rule wins");
        assert_eq!(r.pick(None, &Number::International("447700900123".into())), Ok("uk"));
        assert_eq!(r.pick(None, &Number::International("33612345678".into())), Ok("default"));
        assert_eq!(r.pick(Some("nope"), &de), Err(RouteError::UnknownConnection("nope".into())));
    }

    #[test]
    fn no_default_means_no_route() {
        let r = Routes::new(&RouterConfig::default(), ["a".to_string()]);
        assert_eq!(r.pick(None, &Number::National("12345".into())), Err(RouteError::NoRoute));
    }
}
