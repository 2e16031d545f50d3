//! Sender rewriting per route: a fixed sender, a pool of senders per
//! destination region (chosen by a hash of the destination, so a recipient
//! always sees the same one), or a map from requested to allowed senders.
//! Whether the connection can carry the result is checked by the sender
//! (`sender::prepare`: REJECTED `invalid_source`, e.g. an alphanumeric sender
//! of more than 11 characters).

use std::collections::{BTreeMap, HashMap};

use phonenumber::country::Id;
use runtime::config::Route;

use crate::strategy::stable_hash;

/// A route's sender rules, compiled.
#[derive(Debug, Clone, Default)]
pub struct Rewrite {
    fixed: Option<String>,
    /// By region; `None` is `*`, any other.
    pool: HashMap<Option<Id>, Vec<String>>,
    map: BTreeMap<String, String>,
}

impl Rewrite {
    pub fn new(route: &Route) -> Self {
        Rewrite {
            fixed: route.sender.clone(),
            pool: route
                .sender_pool
                .iter()
                .map(|(region, senders)| ((region != "*").then(|| region.parse().ok()).flatten(), senders.clone()))
                .collect(),
            map: route.sender_map.clone(),
        }
    }

    /// True when the route rewrites nothing.
    pub fn is_empty(&self) -> bool {
        self.fixed.is_none() && self.pool.is_empty() && self.map.is_empty()
    }

    /// The sender a request from `requested` to `to` (digits) in `region`
    /// goes out from; `None` when it keeps its own. The fixed sender, then
    /// the pool, then the map.
    pub fn sender(&self, requested: Option<&str>, to: &str, region: impl FnOnce() -> Option<Id>) -> Option<String> {
        if let Some(fixed) = &self.fixed {
            return Some(fixed.clone());
        }
        if !self.pool.is_empty() {
            let pool = self.pool.get(&region()).or_else(|| self.pool.get(&None));
            if let Some(pool) = pool {
                return Some(pool[(stable_hash(to, "sender") % pool.len() as u64) as usize].clone());
            }
        }
        let mapped = requested.and_then(|r| self.map.get(r)).or_else(|| self.map.get("*"));
        mapped.filter(|m| Some(m.as_str()) != requested).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(keys: &str) -> Rewrite {
        let toml = format!(
            "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"c\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n[[routes]]\nid = \"r\"\nconnection = \"c\"\n{keys}\n"
        );
        Rewrite::new(&runtime::Settings::from_toml(&toml).unwrap().routes[0])
    }

    #[test]
    fn fixed_sender_replaces_any() {
        let r = rewrite("sender = \"ACME\"");
        assert_eq!(r.sender(Some("OTHER"), "4915112345678", || None).as_deref(), Some("ACME"));
        assert_eq!(r.sender(None, "4915112345678", || None).as_deref(), Some("ACME"));
        assert!(rewrite("").is_empty());
    }

    #[test]
    fn pool_by_region_is_sticky_per_destination() {
        let r = rewrite(
            r#"sender_pool = { DE = ["+4915199990001", "+4915199990002", "+4915199990003"], "*" = ["+3212345678"] }"#,
        );
        let de = || Some(Id::DE);
        let picks: Vec<_> = (0..300).map(|i| r.sender(None, &format!("49151{i:08}"), de).unwrap()).collect();
        for s in ["+4915199990001", "+4915199990002", "+4915199990003"] {
            assert!(picks.iter().filter(|p| *p == s).count() > 60, "{s} is used");
        }
        assert_eq!(r.sender(None, "4915100000007", de), r.sender(Some("x"), "4915100000007", de), "sticky");
        assert_eq!(r.sender(None, "33612345678", || Some(Id::FR)).as_deref(), Some("+3212345678"), "`*` for the rest");
        let only_de = rewrite(r#"sender_pool = { DE = ["A"] }"#);
        assert_eq!(only_de.sender(Some("B"), "33612345678", || Some(Id::FR)), None, "no pool: kept");
    }

    #[test]
    fn map_replaces_named_senders_and_star_the_rest() {
        let r = rewrite(r#"sender_map = { "ACME" = "ACME-DE", "*" = "INFO" }"#);
        assert_eq!(r.sender(Some("ACME"), "49", || None).as_deref(), Some("ACME-DE"));
        assert_eq!(r.sender(Some("OTHER"), "49", || None).as_deref(), Some("INFO"));
        assert_eq!(r.sender(None, "49", || None).as_deref(), Some("INFO"));
        let no_star = rewrite(r#"sender_map = { "ACME" = "ACME-DE" }"#);
        assert_eq!(no_star.sender(Some("OTHER"), "49", || None), None);
    }
}
