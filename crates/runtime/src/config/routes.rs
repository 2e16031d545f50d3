//! `[[routes]]`: ordered routing rules. The first route whose matchers all
//! match a request carries it, through one connection or a group of them
//! chosen by a strategy. Validated here, compiled by the router
//! (`router::route`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::{invalid, ConfigError};

/// One routing rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Names the route on status events, spans and metrics; unique.
    pub id: String,
    /// Destination prefixes in international form (`+4915`; the `+` is optional).
    #[serde(default, deserialize_with = "one_or_many")]
    pub to_prefix: Vec<String>,
    /// A regular expression the normalised destination (`+4915112345678`, or
    /// the digits of a national number) must match; anchor it yourself.
    #[serde(default)]
    pub to_regex: Option<String>,
    /// ISO 3166 alpha-2 regions of the destination (`DE`), from its E.164
    /// number by libphonenumber's metadata; a national number has none.
    #[serde(default, deserialize_with = "one_or_many")]
    pub to_country: Vec<String>,
    /// Senders as requested (`ACME`, `+4930123456`), exactly.
    #[serde(default, deserialize_with = "one_or_many")]
    pub from: Vec<String>,
    /// Tenants, exactly.
    #[serde(default, deserialize_with = "one_or_many")]
    pub tenant: Vec<String>,
    /// Metadata keys and the values they must have, all of them.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Message class: `flash` (class 0) or `normal`.
    #[serde(default)]
    pub class: Option<MessageClass>,
    /// The connection, when the route has one.
    #[serde(default)]
    pub connection: Option<String>,
    /// The connections of a group, in failover order.
    #[serde(default)]
    pub connections: Vec<String>,
    /// How the group shares the traffic.
    #[serde(default)]
    pub strategy: Strategy,
    /// `weighted`: one weight per connection (shares of the traffic).
    #[serde(default)]
    pub weights: Vec<u32>,
    /// A connection with no bind or link up this long gets no new messages
    /// from this route while another connection of the group has one.
    #[serde(default = "default_failover_after", with = "humantime_serde")]
    pub failover_after: Duration,
    /// A connection with no bind or link up this long hands the messages
    /// queued for it to the group's next connection; never when unset.
    #[serde(default, with = "humantime_serde")]
    pub reroute_after: Option<Duration>,
    /// Every message of the route goes out from this sender.
    #[serde(default)]
    pub sender: Option<String>,
    /// Senders by destination region (`DE`, or `*` for any other): the one
    /// for a destination is chosen by a hash of the number, so a recipient
    /// always sees the same sender.
    #[serde(default)]
    pub sender_pool: BTreeMap<String, Vec<String>>,
    /// Requested sender to the sender it goes out from (`*`: any other);
    /// a sender the map does not name is kept.
    #[serde(default)]
    pub sender_map: BTreeMap<String, String>,
}

fn default_failover_after() -> Duration {
    Duration::from_secs(30)
}

/// How a route's connections share its traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The first connection that is up; the next ones only when it is down.
    #[default]
    Failover,
    /// Each connection that is up in turn.
    RoundRobin,
    /// The connections that are up in proportion to `weights`.
    Weighted,
    /// The connection with the least work waiting (queue lag plus window in use).
    LeastLoaded,
}

/// A message class a route can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageClass {
    /// Class 0, shown at once and not stored (`flash = true`).
    Flash,
    /// Anything but flash.
    Normal,
}

impl Route {
    /// The route's connections: `connections`, or the one `connection`.
    pub fn members(&self) -> Vec<String> {
        match &self.connection {
            Some(c) => vec![c.clone()],
            None => self.connections.clone(),
        }
    }

    /// True when the route has no matchers: it matches every request.
    pub fn matches_all(&self) -> bool {
        self.to_prefix.is_empty()
            && self.to_regex.is_none()
            && self.to_country.is_empty()
            && self.from.is_empty()
            && self.tenant.is_empty()
            && self.metadata.is_empty()
            && self.class.is_none()
    }
}

/// A block or allow list of destinations (`[[lists]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct List {
    /// `block`: matching destinations are REJECTED `blocked`. `allow`: when a
    /// request's tenant has allow lists (its own or global ones), only
    /// destinations one of them matches are sent.
    pub kind: ListKind,
    /// Only this tenant's requests; every request when unset.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Numbers, exactly (international form).
    #[serde(default, deserialize_with = "one_or_many")]
    pub to: Vec<String>,
    /// Number prefixes (international form).
    #[serde(default, deserialize_with = "one_or_many")]
    pub to_prefix: Vec<String>,
    /// A regular expression on the normalised destination (`+4915...`).
    #[serde(default)]
    pub to_regex: Option<String>,
}

/// Whether a list blocks or allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Block,
    Allow,
}

pub(super) fn validate_lists(lists: &[List]) -> Result<(), ConfigError> {
    for (i, list) in lists.iter().enumerate() {
        let key = |field: &str| format!("lists[{i}].{field}");
        for number in list.to.iter().chain(&list.to_prefix) {
            let digits = number.strip_prefix('+').unwrap_or(number);
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(key("to"), format!("`{number}` is not digits after an optional `+`")));
            }
        }
        if let Some(pattern) = &list.to_regex {
            regex::Regex::new(pattern).map_err(|e| invalid(key("to_regex"), e.to_string()))?;
        }
        if list.to.is_empty() && list.to_prefix.is_empty() && list.to_regex.is_none() {
            return Err(invalid(key("to"), "a list needs `to`, `to_prefix` or `to_regex`"));
        }
    }
    Ok(())
}

/// A tenant's quota (`[[quotas]]`), for the whole gateway however many
/// router replicas share the work.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    pub tenant: String,
    /// Requests per second; more are held back, not refused.
    #[serde(default)]
    pub per_second: Option<u32>,
    /// Requests per day (UTC); more are REJECTED `quota_exceeded`.
    #[serde(default)]
    pub per_day: Option<u64>,
}

pub(super) fn validate_quotas(quotas: &[Quota]) -> Result<(), ConfigError> {
    let mut tenants = BTreeSet::new();
    for (i, quota) in quotas.iter().enumerate() {
        if quota.tenant.is_empty() || !tenants.insert(quota.tenant.as_str()) {
            return Err(invalid(format!("quotas[{i}].tenant"), format!("`{}` is empty or not unique", quota.tenant)));
        }
        if quota.per_second.is_none_or(|n| n == 0) && quota.per_day.is_none_or(|n| n == 0) {
            return Err(invalid(format!("quotas[{i}].per_second"), "give per_second or per_day, above 0"));
        }
    }
    Ok(())
}

/// Checks every route against the connection ids; the first error names its key.
pub(super) fn validate(routes: &[Route], connections: &BTreeSet<&str>) -> Result<(), ConfigError> {
    let mut ids = BTreeSet::new();
    for (i, route) in routes.iter().enumerate() {
        let key = |field: &str| format!("routes[{i}].{field}");
        if route.id.is_empty() || !ids.insert(route.id.as_str()) {
            return Err(invalid(key("id"), format!("`{}` is empty or not unique", route.id)));
        }
        if route.connection.is_some() && !route.connections.is_empty() {
            return Err(invalid(key("connection"), "give `connection` or `connections`, not both"));
        }
        let members = route.members();
        if members.is_empty() {
            return Err(invalid(key("connections"), "names no connection"));
        }
        let mut seen = BTreeSet::new();
        for member in &members {
            if !connections.contains(member.as_str()) {
                return Err(invalid(key("connections"), format!("no connection with id `{member}`")));
            }
            if !seen.insert(member.as_str()) {
                return Err(invalid(key("connections"), format!("`{member}` is named twice")));
            }
        }
        match (route.strategy, route.weights.len()) {
            (Strategy::Weighted, n) if n != members.len() => {
                return Err(invalid(key("weights"), format!("needs one weight per connection ({})", members.len())));
            }
            (Strategy::Weighted, _) if route.weights.iter().all(|w| *w == 0) => {
                return Err(invalid(key("weights"), "at least one weight must be above 0"));
            }
            (Strategy::Weighted, _) => {}
            (_, 0) => {}
            (_, _) => return Err(invalid(key("weights"), "only for strategy = \"weighted\"")),
        }
        for prefix in &route.to_prefix {
            let digits = prefix.strip_prefix('+').unwrap_or(prefix);
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(key("to_prefix"), format!("`{prefix}` is not digits after an optional `+`")));
            }
        }
        if let Some(pattern) = &route.to_regex {
            regex::Regex::new(pattern).map_err(|e| invalid(key("to_regex"), e.to_string()))?;
        }
        for country in &route.to_country {
            if country.parse::<phonenumber::country::Id>().is_err() {
                return Err(invalid(key("to_country"), format!("`{country}` is not an ISO 3166 region code")));
            }
        }
        if route.sender.is_some() && !route.sender_pool.is_empty() {
            return Err(invalid(key("sender_pool"), "give `sender` or `sender_pool`, not both"));
        }
        for (region, senders) in &route.sender_pool {
            if region != "*" && region.parse::<phonenumber::country::Id>().is_err() {
                return Err(invalid(key("sender_pool"), format!("`{region}` is not an ISO 3166 region code or `*`")));
            }
            if senders.is_empty() || senders.iter().any(String::is_empty) {
                return Err(invalid(key("sender_pool"), format!("`{region}` needs at least one sender")));
            }
        }
        let senders = route.sender.iter().chain(route.sender_map.values()).chain(route.sender_pool.values().flatten());
        if let Some(bad) = senders.clone().find(|s| s.is_empty() || s.chars().count() > 20) {
            return Err(invalid(key("sender"), format!("`{bad}` is not a sender (1 to 20 characters)")));
        }
        if route.reroute_after.is_some_and(|r| r < route.failover_after) {
            return Err(invalid(key("reroute_after"), "must not be shorter than failover_after"));
        }
    }
    Ok(())
}

/// A string or a list of strings (`from = "ACME"` or `from = ["ACME", "INFO"]`).
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

#[cfg(test)]
mod tests {
    use crate::Settings;

    fn load(routes: &str) -> Result<Settings, String> {
        let connections = ["a", "b"]
            .map(|c| {
                format!(
                    "[[connections]]\nid = \"{c}\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n"
                )
            })
            .concat();
        Settings::from_toml(&format!("[kafka]\nbrokers = \"x:1\"\n{connections}{routes}")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_route_loads() {
        let s = load(
            r#"
            [[routes]]
            id = "de-mobile"
            to_prefix = ["+4915", "+4916", "+4917"]
            to_regex = '^\+49'
            to_country = "DE"
            from = ["ACME"]
            tenant = "acme"
            metadata = { kind = "otp" }
            class = "flash"
            connections = ["a", "b"]
            strategy = "weighted"
            weights = [3, 1]
            failover_after = "30s"
            reroute_after = "60s"
            "#,
        )
        .unwrap();
        let r = &s.routes[0];
        assert_eq!(
            (r.to_prefix.len(), r.from.as_slice(), r.tenant.as_slice()),
            (3, &["ACME".to_string()][..], &["acme".to_string()][..])
        );
        assert_eq!(r.reroute_after, Some(std::time::Duration::from_secs(60)));
        assert!(!r.matches_all());
    }

    #[test]
    fn bad_routes_are_refused_naming_the_key() {
        for (route, key) in [
            ("id = \"r\"\nconnection = \"nope\"", "routes[0].connections"),
            ("id = \"r\"", "routes[0].connections"),
            ("id = \"r\"\nconnection = \"a\"\nconnections = [\"b\"]", "routes[0].connection"),
            ("id = \"r\"\nconnections = [\"a\", \"a\"]", "routes[0].connections"),
            ("id = \"r\"\nconnections = [\"a\", \"b\"]\nstrategy = \"weighted\"\nweights = [1]", "routes[0].weights"),
            ("id = \"r\"\nconnections = [\"a\", \"b\"]\nweights = [1, 2]", "routes[0].weights"),
            ("id = \"r\"\nconnection = \"a\"\nto_prefix = \"+49x\"", "routes[0].to_prefix"),
            ("id = \"r\"\nconnection = \"a\"\nto_regex = \"(\"", "routes[0].to_regex"),
            ("id = \"r\"\nconnection = \"a\"\nto_country = \"XX\"", "routes[0].to_country"),
            (
                "id = \"r\"\nconnection = \"a\"\nfailover_after = \"60s\"\nreroute_after = \"30s\"",
                "routes[0].reroute_after",
            ),
        ] {
            let err = load(&format!("[[routes]]\n{route}\n")).unwrap_err();
            assert!(err.contains(&format!("`{key}`")), "{route}: {err}");
        }
        let twice = "[[routes]]\nid = \"r\"\nconnection = \"a\"\n[[routes]]\nid = \"r\"\nconnection = \"b\"\n";
        assert!(load(twice).unwrap_err().contains("`routes[1].id`"));
        assert!(load("[[routes]]\nid = \"r\"\nconnection = \"a\"\nto_prefx = \"+49\"\n").is_err(), "typos are errors");
    }
}
