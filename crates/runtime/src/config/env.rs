//! Environment overrides: how a deployment sets what must not be in the
//! configuration file (secrets from a Kubernetes Secret, say).
//!
//! - `SMSGW__SECTION__KEY` sets any scalar key (`SMSGW__KAFKA__BROKERS`,
//!   `SMSGW__KAFKA__SCHEMA_REGISTRY_PASSWORD`).
//! - `SMSGW__KAFKA__PROPERTIES__<NAME>` sets the librdkafka property NAME
//!   lower-cased with `_` as `.` (`SMSGW__KAFKA__PROPERTIES__SASL_PASSWORD` →
//!   `sasl.password`; librdkafka property names have no `_`).
//! - `SMSGW__CONNECTIONS__<ID>__<FIELD>` sets a secret of the connection whose
//!   id, upper-cased with every other character than a letter or digit as
//!   `_`, is ID (`smsc-a` → `SMSC_A`). FIELD is `PASSWORD` (bind password),
//!   `PIN` (modem SIM PIN), `CALLBACK_TOKEN`, `AUTH_USER` and
//!   `AUTH_PASSWORD` (HTTP basic authentication) or `AUTH_TOKEN` (HTTP
//!   bearer), or `HEADER_<NAME>`: the HTTP request header NAME lower-cased
//!   with `_` as `-` (`HEADER_X_API_KEY` → `x-api-key`, replacing a header of
//!   that name in any case). Connections are a list, which the generic override cannot
//!   index; ids are stable where list positions are not. An ID or FIELD that
//!   matches nothing is an error naming the variable, like an unknown key.

use std::collections::HashMap;

use super::{invalid, ConfigError, HttpAuth, HttpConfig, Link, Secret, Settings};

const PROPERTIES: &str = "SMSGW__KAFKA__PROPERTIES__";
const CONNECTIONS: &str = "SMSGW__CONNECTIONS__";

/// The `SMSGW__` variables, sorted by how they apply.
#[derive(Debug, Default)]
pub struct Overrides {
    /// For the generic override (`config::Environment`).
    pub plain: HashMap<String, String>,
    /// (variable, librdkafka property, value).
    properties: Vec<(String, String, String)>,
    /// (variable, connection id as written in the variable, field, value).
    secrets: Vec<(String, String, String, String)>,
}

impl Overrides {
    /// Sorts the `SMSGW__` variables of `vars`; others are ignored.
    pub fn read(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut out = Overrides::default();
        for (name, value) in vars {
            if let Some(property) = name.strip_prefix(PROPERTIES) {
                let property = property.to_ascii_lowercase().replace('_', ".");
                out.properties.push((name, property, value));
            } else if let Some(rest) = name.strip_prefix(CONNECTIONS) {
                let (id, field) = rest.split_once("__").unwrap_or((rest, ""));
                out.secrets.push((name.clone(), id.to_owned(), field.to_owned(), value));
            } else if name.starts_with("SMSGW__") {
                out.plain.insert(name, value);
            }
        }
        out
    }

    /// Applies the properties and connection secrets to `settings`.
    pub fn apply(&self, settings: &mut Settings) -> Result<(), ConfigError> {
        for (_, property, value) in &self.properties {
            settings.kafka.properties.insert(property.clone(), value.clone());
        }
        for (var, id, field, value) in &self.secrets {
            let Some(conn) = settings.connections.iter_mut().find(|c| env_id(&c.id) == *id) else {
                return Err(invalid(
                    var,
                    format!("no connection whose id reads `{id}` here (ids: upper-case, `_` for other characters)"),
                ));
            };
            let value = Secret::new(value.clone());
            let wrong =
                |fits: &str| invalid(var, format!("{field} is a field of {fits} connections, not of `{}`", conn.id));
            match (field.as_str(), &mut conn.link) {
                ("PASSWORD", Link::Smpp(smsc, _) | Link::Ucp(smsc, _) | Link::Cimd2(smsc, _)) => smsc.password = value,
                ("PASSWORD", _) => return Err(wrong("SMPP, UCP and CIMD2")),
                ("PIN", Link::Modem(modem)) => modem.pin = Some(value),
                ("PIN", _) => return Err(wrong("modem")),
                ("CALLBACK_TOKEN" | "AUTH_TOKEN" | "AUTH_USER" | "AUTH_PASSWORD", Link::Http(http)) => {
                    http_secret(http, field, value)
                }
                (f, Link::Http(http)) if f.starts_with("HEADER_") && f.len() > "HEADER_".len() => {
                    http_secret(http, field, value)
                }
                ("CALLBACK_TOKEN" | "AUTH_TOKEN" | "AUTH_USER" | "AUTH_PASSWORD", _) => return Err(wrong("HTTP")),
                (f, _) if f.starts_with("HEADER_") && f.len() > "HEADER_".len() => return Err(wrong("HTTP")),
                _ => {
                    return Err(invalid(
                        var,
                        "unknown connection field (PASSWORD, PIN, CALLBACK_TOKEN, AUTH_USER, AUTH_PASSWORD, AUTH_TOKEN, HEADER_<NAME>)",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Sets an HTTP connection's secret `field` (one [`Overrides::apply`] accepts).
fn http_secret(http: &mut HttpConfig, field: &str, value: Secret) {
    match field {
        "CALLBACK_TOKEN" => http.callback_token = Some(value),
        "AUTH_TOKEN" => http.auth = Some(HttpAuth::Bearer(value)),
        "AUTH_USER" | "AUTH_PASSWORD" => {
            let (mut user, mut password) = match http.auth.take() {
                Some(HttpAuth::Basic { user, password }) => (user, password),
                _ => (String::new(), Secret::default()),
            };
            if field == "AUTH_USER" {
                user = value.expose().to_owned();
            } else {
                password = value;
            }
            http.auth = Some(HttpAuth::Basic { user, password });
        }
        _ => {
            let header = field.trim_start_matches("HEADER_").to_ascii_lowercase().replace('_', "-");
            http.headers.retain(|name, _| !name.eq_ignore_ascii_case(&header));
            http.headers.insert(header, value);
        }
    }
}

/// A connection id as it appears in a variable name.
pub fn env_id(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[kafka]
brokers = "127.0.0.1:9092"

[[connections]]
id = "smsc-a"
protocol = "smpp"
host = "127.0.0.1"
port = 2775
system_id = "smsgw"
password = "in-file"

[[connections]]
id = "provider"
protocol = "http"
url = "http://127.0.0.1:8080/send"
headers = { "X-Api-Key" = "in-file", "Accept" = "application/json" }
"#;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smsgw.toml");
        std::fs::write(&path, FILE).unwrap();
        Settings::load_with_env(&path, vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn a_secret_of_another_protocol_is_an_error() {
        let e = load(&[("SMSGW__CONNECTIONS__SMSC_A__PIN", "1234")]).unwrap_err().to_string();
        assert!(e.contains("SMSGW__CONNECTIONS__SMSC_A__PIN") && e.contains("modem"), "{e}");
        let e = load(&[("SMSGW__CONNECTIONS__PROVIDER__PASSWORD", "x")]).unwrap_err().to_string();
        assert!(e.contains("SMSGW__CONNECTIONS__PROVIDER__PASSWORD") && e.contains("SMPP"), "{e}");
        let e = load(&[("SMSGW__CONNECTIONS__SMSC_A__HEADER_X", "x")]).unwrap_err().to_string();
        assert!(e.contains("HTTP"), "{e}");
    }

    #[test]
    fn secrets_by_connection_id_and_kafka_properties() {
        let settings = load(&[
            ("SMSGW__CONNECTIONS__SMSC_A__PASSWORD", "from-env"),
            ("SMSGW__CONNECTIONS__PROVIDER__AUTH_USER", "acme"),
            ("SMSGW__CONNECTIONS__PROVIDER__AUTH_PASSWORD", "s3cret"),
            ("SMSGW__CONNECTIONS__PROVIDER__CALLBACK_TOKEN", "tok"),
            ("SMSGW__CONNECTIONS__PROVIDER__HEADER_X_API_KEY", "key-from-env"),
            ("SMSGW__KAFKA__PROPERTIES__SASL_PASSWORD", "kafka-secret"),
            ("SMSGW__KAFKA__PROPERTIES__SECURITY_PROTOCOL", "SASL_SSL"),
            ("SMSGW__KAFKA__GROUP_PREFIX", "from-env"),
            ("HOME", "/root"),
        ])
        .unwrap();
        let a = settings.connection("smsc-a").unwrap();
        assert_eq!(a.smsc().unwrap().password.expose(), "from-env");
        let p = settings.connection("provider").unwrap().http().unwrap();
        assert!(
            matches!(&p.auth, Some(HttpAuth::Basic { user, password }) if user == "acme" && password.expose() == "s3cret")
        );
        assert_eq!(p.callback_token.as_ref().map(Secret::expose), Some("tok"));
        let headers: Vec<_> = p.headers.iter().map(|(k, v)| (k.as_str(), v.expose())).collect();
        assert_eq!(headers, [("Accept", "application/json"), ("x-api-key", "key-from-env")]);
        assert_eq!(settings.kafka.properties.get("sasl.password").map(String::as_str), Some("kafka-secret"));
        assert_eq!(settings.kafka.properties.get("security.protocol").map(String::as_str), Some("SASL_SSL"));
        assert_eq!(settings.kafka.group_prefix, "from-env");
        // No secret in the configuration's Debug (what a log line or panic would print).
        let shown = format!("{settings:?} {settings:#?}");
        for secret in ["s3cret", "\"tok\"", "key-from-env", "kafka-secret"] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
        assert!(!format!("{a:?}").contains("from-env"), "bind password shown");
    }

    #[test]
    fn unknown_ids_and_fields_name_the_variable() {
        let error = load(&[("SMSGW__CONNECTIONS__NOPE__PASSWORD", "x")]).unwrap_err().to_string();
        assert!(error.contains("SMSGW__CONNECTIONS__NOPE__PASSWORD"), "{error}");
        let error = load(&[("SMSGW__CONNECTIONS__SMSC_A__PASSWD", "x")]).unwrap_err().to_string();
        assert!(
            error.contains("SMSGW__CONNECTIONS__SMSC_A__PASSWD") && error.contains("unknown connection field"),
            "{error}"
        );
        let error = load(&[("SMSGW__CONNECTIONS__PROVIDER__HEADER_", "x")]).unwrap_err().to_string();
        assert!(error.contains("unknown connection field"), "{error}");
        // Validation still runs on what the environment set.
        let error = load(&[("SMSGW__CONNECTIONS__PROVIDER__CALLBACK_TOKEN", "")]).unwrap_err().to_string();
        assert!(error.contains("connections[1].callback_token"), "{error}");
    }

    #[test]
    fn the_schema_registry_password_comes_from_the_environment() {
        let settings = load(&[
            ("SMSGW__KAFKA__SCHEMA_REGISTRY_URL", "https://registry:8081"),
            ("SMSGW__KAFKA__SCHEMA_REGISTRY_USER", "smsgw"),
            ("SMSGW__KAFKA__SCHEMA_REGISTRY_PASSWORD", "reg-secret"),
        ])
        .unwrap();
        assert_eq!(settings.kafka.schema_registry_user.as_deref(), Some("smsgw"));
        let password = settings.kafka.schema_registry_password.as_ref().unwrap();
        assert_eq!(password.expose(), "reg-secret");
        assert!(!format!("{:?}", settings.kafka).contains("reg-secret"));
        let error = load(&[
            ("SMSGW__KAFKA__SCHEMA_REGISTRY_URL", "https://registry:8081"),
            ("SMSGW__KAFKA__SCHEMA_REGISTRY_PASSWORD", "reg-secret"),
        ])
        .unwrap_err()
        .to_string();
        assert!(error.contains("kafka.schema_registry_password") && error.contains("schema_registry_user"), "{error}");
    }

    #[test]
    fn ids_read_upper_case_with_underscores() {
        assert_eq!(env_id("smsc-a.eu_1"), "SMSC_A_EU_1");
    }
}
