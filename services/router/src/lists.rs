//! Block and allow lists of destinations (`[[lists]]`), global or per
//! tenant: a destination a block list matches is REJECTED `blocked`; where a
//! request's tenant has allow lists (its own or global ones), only
//! destinations one of them matches go out.

use std::collections::HashSet;

use runtime::config::{List, ListKind};

use crate::number::Number;

struct Entry {
    tenant: Option<String>,
    exact: HashSet<String>,
    prefixes: Vec<String>,
    regex: Option<regex::Regex>,
}

impl Entry {
    fn applies_to(&self, tenant: Option<&str>) -> bool {
        self.tenant.as_deref().is_none_or(|t| Some(t) == tenant)
    }

    fn matches(&self, to: &Number, shown: &str) -> bool {
        let digits = to.digits();
        self.exact.contains(digits)
            || self.prefixes.iter().any(|p| digits.starts_with(p.as_str()))
            || self.regex.as_ref().is_some_and(|r| r.is_match(shown))
    }
}

/// The compiled lists.
#[derive(Default)]
pub struct Lists {
    block: Vec<Entry>,
    allow: Vec<Entry>,
}

impl Lists {
    /// Compiles validated lists.
    pub fn new(lists: &[List]) -> Self {
        let mut out = Lists::default();
        for list in lists {
            let digits = |n: &String| n.trim_start_matches('+').to_owned();
            let entry = Entry {
                tenant: list.tenant.clone(),
                exact: list.to.iter().map(digits).collect(),
                prefixes: list.to_prefix.iter().map(digits).collect(),
                regex: list.to_regex.as_deref().and_then(|r| regex::Regex::new(r).ok()),
            };
            match list.kind {
                ListKind::Block => out.block.push(entry),
                ListKind::Allow => out.allow.push(entry),
            }
        }
        out
    }

    /// `Err` with the reason when the lists keep `tenant`'s request from `to`.
    /// The reason names the list, never the number.
    pub fn check(&self, to: &Number, tenant: Option<&str>) -> Result<(), &'static str> {
        if self.block.is_empty() && self.allow.is_empty() {
            return Ok(());
        }
        let shown = to.to_string();
        if self.block.iter().any(|e| e.applies_to(tenant) && e.matches(to, &shown)) {
            return Err("the destination is on a block list");
        }
        let mut allow = self.allow.iter().filter(|e| e.applies_to(tenant)).peekable();
        if allow.peek().is_some() && !allow.any(|e| e.matches(to, &shown)) {
            return Err("the destination is on no allow list of the tenant");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(toml: &str) -> Lists {
        let settings = runtime::Settings::from_toml(&format!("[kafka]\nbrokers = \"x:1\"\n{toml}")).unwrap();
        Lists::new(&settings.lists)
    }

    fn n(digits: &str) -> Number {
        Number::International(digits.into())
    }

    #[test]
    fn block_lists_global_and_per_tenant() {
        let l = lists(
            r#"
            [[lists]]
            kind = "block"
            to = ["+4915112345678"]
            to_prefix = "+882"
            [[lists]]
            kind = "block"
            tenant = "acme"
            to_regex = '^\+4919'
            "#,
        );
        assert!(l.check(&n("4915112345678"), None).is_err(), "exact");
        assert!(l.check(&n("88212345"), Some("other")).is_err(), "prefix, global");
        assert!(l.check(&n("4919012345"), Some("acme")).is_err(), "regex, acme's own");
        assert!(l.check(&n("4919012345"), Some("other")).is_ok(), "not other tenants'");
        assert!(l.check(&n("4915112345679"), Some("acme")).is_ok());
        assert!(lists("").check(&n("4915112345678"), None).is_ok());
    }

    #[test]
    fn allow_lists_restrict_only_their_tenants() {
        let l = lists(
            r#"
            [[lists]]
            kind = "allow"
            tenant = "trial"
            to = ["+4915112345678", "+4915112345679"]
            [[lists]]
            kind = "block"
            to = "+4915112345679"
            "#,
        );
        assert!(l.check(&n("4915112345678"), Some("trial")).is_ok());
        assert_eq!(l.check(&n("4930123456"), Some("trial")), Err("the destination is on no allow list of the tenant"));
        assert!(l.check(&n("4915112345679"), Some("trial")).is_err(), "block wins over allow");
        assert!(l.check(&n("4930123456"), Some("paying")).is_ok(), "other tenants are not restricted");
        assert!(l.check(&n("4930123456"), None).is_ok());
    }
}
