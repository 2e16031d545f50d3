//! Choosing a connection: the first route whose matchers all match, then
//! the route's strategy among its connections.
//!
//! The table is `[[routes]]` in order, then the older `router.rules`
//! (destination prefixes), then `router.default_connection`; with none of
//! them and a single connection, that connection takes everything.
//!
//! A request's `connection` hint names a connection or a route. With
//! `[[routes]]` configured, a connection hint is honoured only where a route
//! that matches the request lists that connection (the operator decides where
//! traffic may go); without them, it may name any connection, as before
//! routes existed.

use std::collections::HashMap;
use std::sync::Arc;

use events::RouteInfo;
use runtime::Settings;

use crate::lists::Lists;
use crate::matcher::{Facts, Matchers};
use crate::optouts::OptOuts;
use crate::rewrite::Rewrite;
use crate::strategy::Group;
use records::links::Links;

/// Why no connection could be chosen (status code `no_route`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("unknown connection or route `{0}`")]
    Unknown(String),
    #[error("no route matches the request")]
    NoRoute,
    #[error("route `{0}` does not match the request")]
    RouteMismatch(String),
    #[error("connection `{0}` is not one of the connections of the routes that match the request")]
    NotAllowed(String),
}

struct Rule {
    id: String,
    matchers: Option<Matchers>,
    group: Group,
    rewrite: Rewrite,
}

impl Rule {
    fn matches(&self, facts: &Facts<'_>) -> bool {
        self.matchers.as_ref().is_none_or(|m| m.matches(facts))
    }
}

/// Where a request goes and how that was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub connection: String,
    pub route: RouteInfo,
    /// The sender the route rewrote the request's to; `None`: kept.
    pub sender: Option<String>,
    /// Where the request may move if its connection stays down.
    pub reroute: Option<records::Reroute>,
}

/// The routing table, built once from configuration.
pub struct Routes {
    rules: Vec<Rule>,
    /// Rules by each of their destination prefixes, so a request is tried
    /// only against the rules its destination can match (1,000 prefix rules
    /// cost a handful of lookups instead of 1,000 comparisons).
    by_prefix: HashMap<String, Vec<usize>>,
    /// Rules without a destination prefix, tried for every request.
    unprefixed: Vec<usize>,
    connections: Vec<String>,
    /// No `[[routes]]`: a hint may name any connection.
    open_hints: bool,
    links: Arc<Links>,
    default_country: Option<phonenumber::country::Id>,
    /// `[[lists]]`: checked before any route.
    pub lists: Lists,
    /// Who opted out of messages from whom: checked once the sender is known.
    pub optouts: Arc<OptOuts>,
}

impl Routes {
    /// The table of validated `settings`; `links` tells which connections are up.
    pub fn new(settings: &Settings, links: Arc<Links>) -> Self {
        let mut rules: Vec<Rule> = settings
            .routes
            .iter()
            .map(|r| Rule {
                id: r.id.clone(),
                matchers: (!r.matches_all()).then(|| Matchers::new(r)),
                group: Group::new(r),
                rewrite: Rewrite::new(r),
            })
            .collect();
        let router = &settings.router;
        rules.extend(router.rules.iter().enumerate().map(|(i, r)| Rule {
            id: format!("router.rules[{i}]"),
            matchers: Some(Matchers::prefix(&r.prefix)),
            group: Group::single(&r.connection),
            rewrite: Rewrite::default(),
        }));
        let default = match (&router.default_connection, settings.connections.as_slice()) {
            (Some(c), _) => Some(c.as_str()),
            (None, [only]) if rules.is_empty() => Some(only.id.as_str()),
            _ => None,
        };
        if let Some(c) = default {
            rules.push(Rule {
                id: "default".into(),
                matchers: None,
                group: Group::single(c),
                rewrite: Rewrite::default(),
            });
        }
        let mut by_prefix: HashMap<String, Vec<usize>> = HashMap::new();
        let mut unprefixed = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            match rule.matchers.as_ref().map(Matchers::prefixes).filter(|p| !p.is_empty()) {
                Some(prefixes) => prefixes.iter().for_each(|p| by_prefix.entry(p.clone()).or_default().push(i)),
                None => unprefixed.push(i),
            }
        }
        Routes {
            rules,
            by_prefix,
            unprefixed,
            connections: settings.connections.iter().map(|c| c.id.clone()).collect(),
            open_hints: settings.routes.is_empty(),
            links,
            default_country: settings.router.default_country.as_deref().and_then(|c| c.parse().ok()),
            lists: Lists::new(&settings.lists),
            optouts: Arc::default(),
        }
    }

    /// The table of a reloaded configuration: what this one learnt (links
    /// reported, opt-outs read) carries over.
    pub fn reload(&self, settings: &Settings) -> Routes {
        let mut routes = Routes::new(settings, self.links.clone());
        routes.optouts = self.optouts.clone();
        routes
    }

    /// The region of national destination numbers (`router.default_country`).
    pub fn default_country(&self) -> Option<phonenumber::country::Id> {
        self.default_country
    }

    /// The connection for request `id` with this hint and these facts, at `now` (epoch ms).
    pub fn pick(&self, id: &str, hint: Option<&str>, facts: &Facts<'_>, now: i64) -> Result<Picked, RouteError> {
        let sender = |rule: &Rule| rule.rewrite.sender(facts.from, facts.to.digits(), || facts.country());
        let picked = |rule: &Rule| {
            let choice = rule.group.choose(&self.links, now, id);
            Picked {
                connection: choice.connection.to_owned(),
                route: RouteInfo { id: Some(rule.id.clone()), reason: choice.reason },
                sender: sender(rule),
                reroute: rule.group.reroute(choice.connection),
            }
        };
        let Some(hint) = hint else {
            return self.candidates(facts).find(|r| r.matches(facts)).map(picked).ok_or(RouteError::NoRoute);
        };
        if let Some(rule) = self.rules.iter().find(|r| r.id == hint) {
            return if rule.matches(facts) { Ok(picked(rule)) } else { Err(RouteError::RouteMismatch(hint.into())) };
        }
        if !self.connections.iter().any(|c| c == hint) {
            return Err(RouteError::Unknown(hint.into()));
        }
        if self.open_hints {
            return Ok(Picked {
                connection: hint.to_owned(),
                route: RouteInfo::default(),
                sender: None,
                reroute: None,
            });
        }
        self.candidates(facts)
            .find(|r| r.group.members().iter().any(|m| m == hint) && r.matches(facts))
            .map(|r| Picked {
                connection: hint.to_owned(),
                route: RouteInfo { id: Some(r.id.clone()), reason: None },
                sender: sender(r),
                reroute: r.group.reroute(hint),
            })
            .ok_or_else(|| RouteError::NotAllowed(hint.into()))
    }
}

impl Routes {
    /// The rules the destination's prefixes allow, in table order.
    fn candidates<'a>(&'a self, facts: &Facts<'_>) -> impl Iterator<Item = &'a Rule> {
        let digits = facts.to.digits();
        let mut indexes = self.unprefixed.clone();
        for n in 1..=digits.len() {
            if let Some(rules) = self.by_prefix.get(&digits[..n]) {
                indexes.extend_from_slice(rules);
            }
        }
        indexes.sort_unstable();
        indexes.dedup();
        indexes.into_iter().map(|i| &self.rules[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::Number;
    use events::Metadata;

    fn settings(extra: &str) -> Settings {
        let connections = ["default", "de", "uk", "never", "premium"]
            .map(|c| {
                format!(
                    "[[connections]]\nid = \"{c}\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n"
                )
            })
            .concat();
        Settings::from_toml(&format!("[kafka]\nbrokers = \"x:1\"\n{connections}{extra}")).unwrap()
    }

    fn routes(extra: &str) -> Routes {
        Routes::new(&settings(extra), Arc::new(Links::new(0)))
    }

    fn pick(r: &Routes, hint: Option<&str>, to: &str) -> Result<(String, Option<String>), RouteError> {
        let number = Number::International(to.into());
        let metadata = Metadata::new();
        let facts = Facts::new(&number, None, None, &metadata, false);
        r.pick("r-1", hint, &facts, 0).map(|p| (p.connection, p.route.id))
    }

    fn ok(connection: &str, route: &str) -> Result<(String, Option<String>), RouteError> {
        Ok((connection.into(), Some(route.into())))
    }

    const LEGACY: &str = r#"
        [router]
        default_connection = "default"
        rules = [{ prefix = "+49", connection = "de" }, { prefix = "4915", connection = "never" }, { prefix = "44", connection = "uk" }]
    "#;

    #[test]
    fn legacy_rules_then_default_and_open_hints() {
        let r = routes(LEGACY);
        assert_eq!(pick(&r, None, "4915112345678"), ok("de", "router.rules[0]"), "first matching rule wins");
        assert_eq!(pick(&r, None, "447400123456"), ok("uk", "router.rules[2]"));
        assert_eq!(pick(&r, None, "33612345678"), ok("default", "default"));
        assert_eq!(pick(&r, Some("uk"), "4915112345678"), Ok(("uk".into(), None)), "any connection, without routes");
        assert_eq!(pick(&r, Some("nope"), "4915112345678"), Err(RouteError::Unknown("nope".into())));
    }

    #[test]
    fn routes_come_first_and_restrict_hints() {
        let r = routes(&format!(
            r#"
            [[routes]]
            id = "de-mobile"
            to_prefix = ["+4915", "+4916", "+4917"]
            connections = ["de", "premium"]
            [[routes]]
            id = "gb"
            to_country = "GB"
            connection = "uk"
            {LEGACY}"#
        ));
        assert_eq!(pick(&r, None, "4915112345678"), ok("de", "de-mobile"));
        assert_eq!(pick(&r, None, "447400123456"), ok("uk", "gb"));
        assert_eq!(pick(&r, None, "4930123456"), ok("de", "router.rules[0]"), "then the older rules");
        assert_eq!(pick(&r, Some("premium"), "4915112345678"), ok("premium", "de-mobile"), "a hint the route allows");
        assert_eq!(pick(&r, Some("uk"), "4915112345678"), Err(RouteError::NotAllowed("uk".into())));
        assert_eq!(pick(&r, Some("uk"), "447400123456"), ok("uk", "gb"));
        assert_eq!(pick(&r, Some("de-mobile"), "4915112345678"), ok("de", "de-mobile"), "a route hint");
        assert_eq!(pick(&r, Some("uk"), "33612345678"), Err(RouteError::NotAllowed("uk".into())));
        assert_eq!(pick(&r, Some("de-mobile"), "447400123456"), Err(RouteError::RouteMismatch("de-mobile".into())));
    }

    #[test]
    fn order_holds_across_prefixed_and_other_rules() {
        let r = routes(
            r#"
            [[routes]]
            id = "any-49"
            to_regex = '^\+49'
            connection = "uk"
            [[routes]]
            id = "de-15"
            to_prefix = "+4915"
            connection = "de"
            [[routes]]
            id = "rest"
            connection = "default"
            "#,
        );
        assert_eq!(pick(&r, None, "4915112345678"), ok("uk", "any-49"), "the earlier rule, though not by prefix");
        assert_eq!(pick(&r, None, "33612345678"), ok("default", "rest"));
    }

    #[test]
    fn no_match_is_no_route() {
        let r = routes("[[routes]]\nid = \"fr\"\nto_prefix = \"+33\"\nconnection = \"default\"\n");
        assert_eq!(pick(&r, None, "4915112345678"), Err(RouteError::NoRoute));
        assert_eq!(pick(&r, None, "33612345678"), ok("default", "fr"));
    }

    #[test]
    fn a_single_connection_takes_everything() {
        let settings = Settings::from_toml(
            "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"only\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n",
        )
        .unwrap();
        let r = Routes::new(&settings, Arc::new(Links::new(0)));
        assert_eq!(pick(&r, None, "4915112345678"), ok("only", "default"));
        // Two connections and nothing configured: nothing to guess from.
        assert_eq!(pick(&routes(""), None, "4915112345678"), Err(RouteError::NoRoute));
    }
}
