//! The server for Kannel's `dlr-url` callbacks: a minimal HTTP/1.1 reader
//! that hands each delivery report to the run.

use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// One delivery report callback: our request id, Kannel's DLR type, when it arrived.
pub(super) type Dlr = (usize, u32, Instant);

/// Serves Kannel's `dlr-url` callbacks (`GET /dlr?id=N&type=T`), HTTP/1.1 keep-alive.
pub(super) async fn dlr_server(listener: TcpListener, tx: mpsc::UnboundedSender<Dlr>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => if let Ok((stream, _)) = accepted {
                let _ = stream.set_nodelay(true);
                tokio::spawn(dlr_connection(stream, tx.clone()));
            }
        }
    }
}

async fn dlr_connection(stream: TcpStream, tx: mpsc::UnboundedSender<Dlr>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let target = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let mut close = line.ends_with("HTTP/1.0\r\n");
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("connection") {
                    close = value.eq_ignore_ascii_case("close");
                } else if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().unwrap_or(0);
                }
            }
        }
        if length > 0 {
            let mut body = vec![0; length];
            tokio::io::AsyncReadExt::read_exact(&mut reader, &mut body).await?;
        }
        let now = Instant::now();
        let query = target.split_once('?').map_or("", |(_, q)| q);
        let (mut id, mut kind) = (None, None);
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("id", v)) => id = v.parse().ok(),
                Some(("type", v)) => kind = v.parse().ok(),
                _ => {}
            }
        }
        if let (Some(id), Some(kind)) = (id, kind) {
            let _ = tx.send((id, kind, now));
        }
        let connection = if close { "close" } else { "keep-alive" };
        write
            .write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: {connection}\r\n\r\n").as_bytes())
            .await?;
        if close {
            return Ok(());
        }
    }
}
