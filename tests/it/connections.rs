//! Connections that hold a socket without asking for anything: silent, half-sent, idle on
//! keep-alive, or a flood of them. Each is closed, and the server keeps answering.

use std::time::Duration;

use tidsreg_gpt::http::ConnectionLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::fixture::{TestServer, start_configured};

/// A bound on how long a test waits for a close; the server's time-out is far shorter.
const PATIENCE: Duration = Duration::from_secs(20);

async fn start_with_connections(limits: ConnectionLimits) -> TestServer {
    start_configured(|config| config.connection_limits = limits).await
}

fn short_header_time_out() -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    }
}

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(server.url.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection; what it sent before closing.
async fn read_until_closed(tcp: &mut TcpStream) -> String {
    let mut received = Vec::new();
    tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut received))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_connection_that_never_sends_a_request_is_closed() {
    let server = start_with_connections(short_header_time_out()).await;
    let mut silent = connect(&server).await;
    assert_eq!(read_until_closed(&mut silent).await, "");
}

#[tokio::test]
async fn a_request_whose_headers_never_end_is_closed() {
    let server = start_with_connections(short_header_time_out()).await;
    let mut slow = connect(&server).await;
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = read_until_closed(&mut slow).await;
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_answer() {
    let server = start_with_connections(short_header_time_out()).await;
    let mut idle = connect(&server).await;
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}

#[tokio::test]
async fn health_answers_under_a_flood_of_idle_connections() {
    let limits = ConnectionLimits {
        per_address: 8,
        total: 16,
        ..ConnectionLimits::default()
    };
    let server = start_with_connections(limits).await;
    let mut flood = Vec::new();
    for _ in 0..100 {
        flood.push(connect(&server).await);
    }
    let (status, _) = server.get(None, "/health").await;
    assert_eq!(status, 200);
    // The oldest of the flood were closed to make room; only the cap's worth stay open.
    let mut closed = 0;
    for tcp in &mut flood {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(50), tcp.read(&mut byte)).await
        {
            closed += 1;
        }
    }
    assert!(
        closed >= 100 - 8,
        "{closed} of 100 idle connections were closed"
    );
}
