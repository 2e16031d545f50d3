//! An in-process fake of the two registry endpoints smsgw uses, for tests:
//! `POST /subjects/{subject}/versions` and `GET /schemas/ids/{id}`, over
//! hand-parsed HTTP/1.1 (one request per connection). Like a real registry,
//! an identical schema gets the same id under every subject; like one with
//! basic authentication on ([`FakeRegistry::require_basic`]), it answers
//! `401` to a request without the right `Authorization` header. For `https`,
//! tests put a TLS terminator in front of it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Ids start here so that a test never confuses them with small constants.
const FIRST_ID: u32 = 101;

#[derive(Default)]
struct State {
    schemas: Vec<String>,
    subjects: HashMap<String, u32>,
    unavailable: bool,
    lookups: usize,
    /// The `Authorization` header value every request must carry.
    authorization: Option<String>,
    /// Requests refused with `401`.
    unauthorized: usize,
}

/// The fake registry; it stops when dropped.
pub struct FakeRegistry {
    /// `http://127.0.0.1:{port}`.
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeRegistry {
    /// Listens on a free loopback port.
    pub async fn start() -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, shared.clone()));
            }
        });
        FakeRegistry { url, state, task }
    }

    /// Stores `schema` (no subject) and returns its id, as if another producer had registered it.
    pub fn add(&self, schema: &str) -> u32 {
        id_of(&mut self.state.lock().unwrap(), schema)
    }

    /// The id registered under `subject`.
    pub fn subject_id(&self, subject: &str) -> Option<u32> {
        self.state.lock().unwrap().subjects.get(subject).copied()
    }

    /// While unavailable, every request gets `503`.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.state.lock().unwrap().unavailable = unavailable;
    }

    /// From now on, every request must authenticate as `user` with `password`
    /// (`Authorization: Basic`, RFC 7617), or gets `401`.
    pub fn require_basic(&self, user: &str, password: &str) {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.state.lock().unwrap().authorization = Some(format!("Basic {token}"));
    }

    /// How many requests were refused with `401`.
    pub fn unauthorized(&self) -> usize {
        self.state.lock().unwrap().unauthorized
    }

    /// How many `GET /schemas/ids/{id}` requests were answered (for cache tests).
    pub fn lookups(&self) -> usize {
        self.state.lock().unwrap().lookups
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn id_of(state: &mut State, schema: &str) -> u32 {
    let index = state.schemas.iter().position(|s| s == schema).unwrap_or_else(|| {
        state.schemas.push(schema.to_owned());
        state.schemas.len() - 1
    });
    FIRST_ID + index as u32
}

async fn serve(mut socket: TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_len, body_len) = loop {
        let Ok(n) = socket.read(&mut chunk).await else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap_or(0));
            break (end + 4, length);
        }
    };
    while buf.len() < head_len + body_len {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    let body = &buf[head_len..head_len + body_len];
    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let (method, path) = (request_line.next().unwrap_or_default(), request_line.next().unwrap_or_default());
    let authorization = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("authorization").then(|| value.trim().to_owned())
    });
    let (status, answer) = {
        let mut state = state.lock().unwrap();
        if state.authorization.is_some() && state.authorization != authorization {
            state.unauthorized += 1;
            ("401 Unauthorized", r#"{"error_code":401,"message":"Unauthorized"}"#.to_owned())
        } else {
            answer(&mut state, method, path, body)
        }
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

fn answer(state: &mut State, method: &str, path: &str, body: &[u8]) -> (&'static str, String) {
    let not_found = ("404 Not Found", r#"{"error_code":40403,"message":"Schema not found"}"#.to_owned());
    if state.unavailable {
        return ("503 Service Unavailable", r#"{"error_code":50003,"message":"unavailable"}"#.to_owned());
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("POST", ["subjects", subject, "versions"]) => {
            let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
            let Some(schema) = parsed.as_ref().and_then(|v| v["schema"].as_str()) else {
                return ("422 Unprocessable Entity", r#"{"error_code":42201,"message":"Invalid schema"}"#.to_owned());
            };
            let id = id_of(state, schema);
            state.subjects.insert((*subject).to_owned(), id);
            ("200 OK", format!(r#"{{"id":{id}}}"#))
        }
        ("GET", ["schemas", "ids", id]) => {
            state.lookups += 1;
            let index = id.parse::<u32>().ok().and_then(|id| id.checked_sub(FIRST_ID));
            match index.and_then(|i| state.schemas.get(i as usize)) {
                Some(schema) => ("200 OK", serde_json::json!({ "schema": schema }).to_string()),
                None => not_found,
            }
        }
        _ => not_found,
    }
}

/// The SendRequest schema as an older producer might have it: the current
/// one without `tenant` and `metadata`.
pub fn older_send_request_schema() -> String {
    let mut schema: serde_json::Value =
        serde_json::from_str(events::schema_json(events::SchemaKind::SendRequest)).unwrap();
    schema["fields"].as_array_mut().unwrap().retain(|f| f["name"] != "tenant" && f["name"] != "metadata");
    schema.to_string()
}

/// A request in Confluent wire format, written with [`older_send_request_schema`]
/// registered under `schema_id`.
pub fn older_send_request(schema_id: u32, id: &str, to: &str, text: &str) -> Vec<u8> {
    use events::apache_avro::types::Value;
    let schema = events::apache_avro::Schema::parse_str(&older_send_request_schema()).unwrap();
    let null = || Value::Union(0, Box::new(Value::Null));
    let fields = vec![
        ("id", Value::String(id.into())),
        ("to", Value::String(to.into())),
        ("from", null()),
        ("text", Value::Union(1, Box::new(Value::String(text.into())))),
        ("payload", null()),
        ("data_coding", null()),
        ("encoding", Value::Enum(0, "AUTO".into())),
        ("priority", Value::Int(0)),
        ("send_at", null()),
        ("expires_at", null()),
        ("delivery_report", Value::Boolean(false)),
        ("connection", null()),
        ("flash", Value::Boolean(false)),
    ];
    let record = Value::Record(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
    let mut out = vec![0x00];
    out.extend_from_slice(&schema_id.to_be_bytes());
    out.extend(events::apache_avro::to_avro_datum(&schema, record).unwrap());
    out
}
