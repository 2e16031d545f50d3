//! Opening one link's byte stream to the SMSC: the TCP connect and, on a
//! connection with `tls = true`, the TLS handshake over it (rustls through
//! tokio-rustls, configured once per connection by
//! [`runtime::config::link_tls::client`]). Each step has the connection's
//! `response_timeout`. A failure says what failed, where and why (a
//! certificate the CA file does not vouch for reads "TLS handshake with
//! smsc.example:3550 failed: invalid peer certificate: UnknownIssuer") and
//! which reason of `smsgw_link_failures_total` it counts as; the driver then
//! backs off and tries again, as for any failed connect.
//!
//! TLS sits below the framing: the driver reads and writes a [`Stream`] the
//! same way whether it is encrypted or not, so SMPP, UCP and CIMD2 all get it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use runtime::config::link_tls::LinkTls;
use runtime::config::Smsc;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A link's byte stream: plain TCP, or TLS over TCP.
pub enum Stream {
    Plain(TcpStream),
    // Boxed: a TLS session is a few kilobytes, a TCP stream a few words.
    Tls(Box<tls::client::TlsStream<TcpStream>>),
}

/// Why a connection attempt failed: `reason` is the metric's label,
/// `message` the log's words.
#[derive(Debug)]
pub struct Failed {
    pub reason: &'static str,
    pub message: String,
}

/// Connects to the connection's SMSC, with TLS when `tls` is given.
/// Each step may take `timeout`.
pub async fn dial(smsc: &Smsc, timeout: Duration, tls: Option<&LinkTls>) -> Result<Stream, Failed> {
    let at = format!("{}:{}", smsc.host, smsc.port);
    let connect = TcpStream::connect((smsc.host.as_str(), smsc.port));
    let tcp = match tokio::time::timeout(timeout, connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(Failed { reason: "connect", message: format!("connect to {at} failed: {e}") }),
        Err(_) => return Err(Failed { reason: "connect", message: format!("connect to {at} timed out") }),
    };
    let _ = tcp.set_nodelay(true);
    let Some(tls) = tls else { return Ok(Stream::Plain(tcp)) };
    let handshake = tls::TlsConnector::from(tls.config.clone()).connect(tls.server_name.clone(), tcp);
    match tokio::time::timeout(timeout, handshake).await {
        Ok(Ok(s)) => Ok(Stream::Tls(Box::new(s))),
        // rustls' error (the certificate's problem, an alert from the SMSC) is the io::Error's text.
        Ok(Err(e)) => Err(Failed { reason: "tls", message: format!("TLS handshake with {at} failed: {e}") }),
        Err(_) => Err(Failed { reason: "tls", message: format!("TLS handshake with {at} timed out") }),
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    /// TLS keeps records it could not write yet: the driver flushes after
    /// every batch of frames, so nothing waits in a buffer for the next one.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::AsyncWriteExt;

    use super::*;

    fn config(port: u16) -> Smsc {
        let toml = format!(
            "[kafka]\nbrokers = \"b:1\"\n[[connections]]\nid = \"d\"\nprotocol = \"smpp\"\nhost = \"127.0.0.1\"\n\
             port = {port}\nsystem_id = \"x\"\nresponse_timeout = \"1s\"\n"
        );
        runtime::Settings::from_toml(&toml).unwrap().connections[0].smsc().unwrap().clone()
    }

    const ONE_SECOND: Duration = Duration::from_secs(1);

    /// A client that trusts nobody: every handshake that gets as far as a certificate fails.
    fn trusting_nobody() -> LinkTls {
        let config = tls::rustls::ClientConfig::builder_with_provider(tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(tls::rustls::RootCertStore::empty())
            .with_no_client_auth();
        LinkTls { config: Arc::new(config), server_name: tls::server_name("localhost").unwrap() }
    }

    #[tokio::test]
    async fn each_failure_says_what_failed_and_counts_as_connect_or_tls() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let failed = dial(&config(closed), ONE_SECOND, None).await.err().unwrap();
        assert_eq!(failed.reason, "connect");
        assert!(failed.message.starts_with(&format!("connect to 127.0.0.1:{closed} failed: ")), "{failed:?}");

        // A plaintext server answering the ClientHello with text, and one saying nothing.
        let talking = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (talking_port, silent_port) = (talking.local_addr().unwrap().port(), silent.local_addr().unwrap().port());
        tokio::spawn(async move {
            while let Ok((mut s, _)) = talking.accept().await {
                let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n").await;
            }
        });
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((s, _)) = silent.accept().await {
                open.push(s);
            }
        });
        let tls = trusting_nobody();
        let failed = dial(&config(talking_port), ONE_SECOND, Some(&tls)).await.err().unwrap();
        assert_eq!(failed.reason, "tls");
        assert!(
            failed.message.starts_with(&format!("TLS handshake with 127.0.0.1:{talking_port} failed: ")),
            "{failed:?}"
        );
        let failed = dial(&config(silent_port), ONE_SECOND, Some(&tls)).await.err().unwrap();
        assert_eq!(
            (failed.reason, failed.message),
            ("tls", format!("TLS handshake with 127.0.0.1:{silent_port} timed out"))
        );
        held.abort();
    }
}
