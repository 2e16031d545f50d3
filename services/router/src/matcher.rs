//! A route's matchers, compiled once from `[[routes]]`: all must match.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use events::Metadata;
use phonenumber::country::Id;
use runtime::config::{MessageClass, Route};

use crate::number::Number;

/// What a request offers to the matchers. The destination's region is
/// looked up once, and only when a route asks for it.
pub struct Facts<'a> {
    pub to: &'a Number,
    pub from: Option<&'a str>,
    pub tenant: Option<&'a str>,
    pub metadata: &'a Metadata,
    pub flash: bool,
    country: OnceCell<Option<Id>>,
    shown: OnceCell<String>,
}

impl<'a> Facts<'a> {
    pub fn new(
        to: &'a Number,
        from: Option<&'a str>,
        tenant: Option<&'a str>,
        metadata: &'a Metadata,
        flash: bool,
    ) -> Self {
        Facts { to, from, tenant, metadata, flash, country: OnceCell::new(), shown: OnceCell::new() }
    }

    /// The destination's region by libphonenumber's metadata (the calling
    /// code, and for shared codes such as +1 the number's leading digits);
    /// `None` for a national number or one no region claims.
    pub fn country(&self) -> Option<Id> {
        *self.country.get_or_init(|| match self.to {
            Number::International(digits) => region_of(digits),
            Number::National(_) => None,
        })
    }

    /// The destination as `to_regex` sees it: `+` and digits, or the digits of a national number.
    fn shown(&self) -> &str {
        self.shown.get_or_init(|| self.to.to_string())
    }
}

/// The region of an E.164 number (digits without `+`). Most calling codes
/// belong to one region and need no more than a table lookup (E.164 calling
/// codes are prefix-free: at most one of the first 1-3 digits is one); the
/// shared ones (+1, +7, +44, ...) are told apart by libphonenumber's full
/// parse, which is a thousand times slower.
pub fn region_of(digits: &str) -> Option<Id> {
    static CODES: OnceLock<HashMap<u16, Option<Id>>> = OnceLock::new();
    let codes = CODES.get_or_init(|| {
        let mut regions: HashMap<u16, Vec<Id>> = HashMap::new();
        for m in phonenumber::metadata::DATABASE.iter() {
            let ids = regions.entry(m.country_code()).or_default();
            // "001" and the like are non-geographic entities, not regions.
            if let Ok(id) = m.id().parse() {
                ids.push(id);
            }
        }
        regions.into_iter().map(|(code, ids)| (code, if ids.len() == 1 { Some(ids[0]) } else { None })).collect()
    });
    let code = (1..=3.min(digits.len())).find_map(|n| {
        let code: u16 = digits[..n].parse().ok()?;
        codes.get(&code).map(|single| (code, *single))
    });
    match code? {
        (_, Some(id)) => Some(id),
        (_, None) => phonenumber::parse(None, format!("+{digits}")).ok()?.country().id(),
    }
}

/// The compiled matchers of one route.
#[derive(Debug, Clone)]
pub struct Matchers {
    to_prefix: Vec<String>,
    to_regex: Option<regex::Regex>,
    to_country: Vec<Id>,
    from: Vec<String>,
    tenant: Vec<String>,
    metadata: BTreeMap<String, String>,
    class: Option<MessageClass>,
}

impl Matchers {
    /// Compiles a validated route's matchers (`Settings::validate` has
    /// checked the regular expression and the region codes).
    pub fn new(route: &Route) -> Self {
        Matchers {
            to_prefix: route.to_prefix.iter().map(|p| p.trim_start_matches('+').to_owned()).collect(),
            to_regex: route.to_regex.as_deref().and_then(|r| regex::Regex::new(r).ok()),
            to_country: route.to_country.iter().filter_map(|c| c.parse().ok()).collect(),
            from: route.from.clone(),
            tenant: route.tenant.clone(),
            metadata: route.metadata.clone(),
            class: route.class,
        }
    }

    /// Matches destinations starting with `prefix` (digits), alone.
    pub fn prefix(prefix: &str) -> Self {
        Matchers {
            to_prefix: vec![prefix.trim_start_matches('+').to_owned()],
            to_regex: None,
            to_country: Vec::new(),
            from: Vec::new(),
            tenant: Vec::new(),
            metadata: BTreeMap::new(),
            class: None,
        }
    }

    /// The destination prefixes (digits); empty when the route has none.
    pub fn prefixes(&self) -> &[String] {
        &self.to_prefix
    }

    /// True when every matcher the route has matches; cheapest first.
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        let listed = |list: &[String], value: Option<&str>| {
            list.is_empty() || value.is_some_and(|v| list.iter().any(|l| l == v))
        };
        let class = match self.class {
            None => true,
            Some(MessageClass::Flash) => facts.flash,
            Some(MessageClass::Normal) => !facts.flash,
        };
        class
            && listed(&self.tenant, facts.tenant)
            && listed(&self.from, facts.from)
            && self.metadata.iter().all(|(k, v)| facts.metadata.get(k) == Some(v))
            && (self.to_prefix.is_empty() || self.to_prefix.iter().any(|p| facts.to.digits().starts_with(p.as_str())))
            && self.to_regex.as_ref().is_none_or(|r| r.is_match(facts.shown()))
            && (self.to_country.is_empty() || facts.country().is_some_and(|c| self.to_country.contains(&c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(extra: &str) -> Route {
        let toml = format!(
            "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"c\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n[[routes]]\nid = \"r\"\nconnection = \"c\"\n{extra}\n"
        );
        runtime::Settings::from_toml(&toml).unwrap().routes.remove(0)
    }

    fn matches(extra: &str, facts: &Facts<'_>) -> bool {
        Matchers::new(&route(extra)).matches(facts)
    }

    #[test]
    fn destination_prefix_regex_and_country() {
        let de = Number::International("4915112345678".into());
        let us = Number::International("12025550123".into());
        let ca = Number::International("14165550123".into());
        let national = Number::National("015112345678".into());
        let m = Metadata::new();
        let facts = |n| Facts::new(n, None, None, &m, false);
        assert!(matches(r#"to_prefix = ["+4917", "+4915"]"#, &facts(&de)));
        assert!(!matches(r#"to_prefix = "+4917""#, &facts(&de)));
        assert!(matches(r#"to_regex = '^\+49(15|16|17)\d+$'"#, &facts(&de)));
        assert!(!matches(r#"to_regex = '^\+44'"#, &facts(&de)));
        assert!(matches(r#"to_regex = '^0151'"#, &facts(&national)));
        assert!(matches(r#"to_country = "DE""#, &facts(&de)));
        assert!(matches(r#"to_country = ["US"]"#, &facts(&us)), "+1 202 is the US");
        assert!(!matches(r#"to_country = ["US"]"#, &facts(&ca)), "+1 416 is Canada");
        assert!(matches(r#"to_country = ["CA"]"#, &facts(&ca)));
        assert!(!matches(r#"to_country = "DE""#, &facts(&national)), "a national number has no region");
        let jersey = Number::International("447797123456".into());
        let gb = Number::International("447400123456".into());
        assert!(matches(r#"to_country = "GB""#, &facts(&gb)));
        assert!(!matches(r#"to_country = "GB""#, &facts(&jersey)), "+44 7797 is Jersey, not GB");
    }

    #[test]
    fn regions_by_table_agree_with_the_full_parse() {
        for digits in [
            "4915112345678",
            "33612345678",
            "81312345678",
            "5511912345678",
            "97150123456",
            "35312345678",
            "12025550123",
            "447400123456",
            "79161234567",
            "77012345678",
            "2125550123",
        ] {
            let parsed = phonenumber::parse(None, format!("+{digits}")).ok().and_then(|p| p.country().id());
            assert_eq!(region_of(digits), parsed, "{digits}");
        }
        assert_eq!(region_of("999123"), None, "no such calling code");
    }

    #[test]
    fn sender_tenant_metadata_and_class() {
        let de = Number::International("4915112345678".into());
        let m =
            Metadata::from([("campaign".to_string(), "spring".to_string()), ("kind".to_string(), "otp".to_string())]);
        let facts = Facts::new(&de, Some("ACME"), Some("acme-gmbh"), &m, true);
        assert!(matches(r#"from = ["INFO", "ACME"]"#, &facts));
        assert!(!matches(r#"from = "INFO""#, &facts));
        assert!(matches(r#"tenant = "acme-gmbh""#, &facts));
        assert!(!matches(r#"tenant = "other""#, &facts));
        assert!(matches(r#"metadata = { kind = "otp" }"#, &facts));
        assert!(!matches(r#"metadata = { kind = "otp", campaign = "autumn" }"#, &facts));
        assert!(matches(r#"class = "flash""#, &facts));
        assert!(!matches(r#"class = "normal""#, &facts));
        assert!(matches("", &facts), "no matchers: everything");
        let anonymous = Facts::new(&de, None, None, &m, false);
        assert!(!matches(r#"from = "ACME""#, &anonymous), "a sender list needs a sender");
        assert!(
            matches(
                r#"to_prefix = "+49"
            from = "ACME"
            class = "flash""#,
                &facts
            ),
            "all matchers together"
        );
    }
}
