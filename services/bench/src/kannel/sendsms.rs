//! The client side: smsbox's sendsms URL for a request, and sending it.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::config::{PASSWORD, USER};

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The sendsms URL for request `id`, asking for the reports of `dlr_mask`
/// (1 delivered, 8 accepted by the SMSC; Kannel's `dlr-mask`).
pub(super) fn sendsms_url(sendsms: u16, dlr_port: u16, id: usize, dlr_mask: u8) -> String {
    let dlr_url = format!("http://127.0.0.1:{dlr_port}/dlr?id={id}&type=%d");
    format!(
        "http://127.0.0.1:{sendsms}/cgi-bin/sendsms?username={USER}&password={PASSWORD}&to={to}&from=BENCH&text={text}&dlr-mask={dlr_mask}&dlr-url={dlr}",
        to = encode(&format!("+4915112{id:06}")),
        text = encode(&format!("Your code is {id:06}")),
        dlr = encode(&dlr_url),
    )
}

/// Sends one sendsms request, retrying refusals; the time of the first attempt.
pub(super) async fn send(
    client: &reqwest::Client,
    url: &str,
    retries: &AtomicU64,
    deadline: Instant,
) -> anyhow::Result<Instant> {
    let first = Instant::now();
    loop {
        let outcome = client.get(url).send().await;
        match outcome {
            Ok(resp) if resp.status().is_success() => {
                // Drain the body so the connection goes back to the pool.
                let _ = resp.bytes().await;
                return Ok(first);
            }
            Ok(resp) => {
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                tracing::debug!(%status, body, "sendsms refused");
            }
            Err(e) => tracing::debug!(error = %e, "sendsms failed"),
        }
        if Instant::now() > deadline {
            anyhow::bail!("sendsms kept failing until the timeout");
        }
        retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("+49 151"), "%2B49%20151");
        assert_eq!(encode("http://h:1/dlr?id=3&type=%d"), "http%3A%2F%2Fh%3A1%2Fdlr%3Fid%3D3%26type%3D%25d");
    }
}
