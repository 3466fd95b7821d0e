//! Serving connections. Each gets hyper's HTTP/1 with a header-read time-out, so a client that
//! connects and sends nothing, half a request line or a slow trickle of headers is closed, and
//! a keep-alive connection waits at most as long for its next request. The open connections
//! are capped per client address and in total: at a cap the oldest *idle* connection (no
//! request being answered) is closed to make room, rather than the new one refused. A flood of
//! idle connections from one address then only churns that address's own, and `/health` (or
//! anyone else) still gets in. Only when every connection is busy is a new one refused, with
//! a JSON 503.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use super::AppState;
use super::frame::REQUEST_DEADLINE;
use super::rate_limits::TrustedProxies;

/// How long a client may take to send a request's headers, and how long an idle keep-alive
/// connection waits for the next request.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections from one address. Trusted proxies (`--trust-proxy`, our own tunnel)
/// carry many clients and are held only to the total.
pub const DEFAULT_CONNECTIONS_PER_ADDRESS: usize = 64;
/// Open connections in all: well under the usual limit of 1 024 open files, leaving room for
/// upstream connections and the store.
pub const DEFAULT_CONNECTIONS_TOTAL: usize = 512;

/// How many connections stay open, and for how long they may keep us waiting.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// See [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`DEFAULT_CONNECTIONS_PER_ADDRESS`].
    pub per_address: usize,
    /// See [`DEFAULT_CONNECTIONS_TOTAL`].
    pub total: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            per_address: DEFAULT_CONNECTIONS_PER_ADDRESS,
            total: DEFAULT_CONNECTIONS_TOTAL,
        }
    }
}

/// What a connection refused at the cap is told before it is closed.
const FULL_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 115\r\n\r\n\
{\"error\":\"Too many open connections. Retry in a second, and reuse one connection for several requests.\"}";

/// Serves `state`'s app on `listener` until `shutdown` resolves, then stops accepting and
/// lets the requests in flight finish (each within the request deadline).
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()>) {
    let limits = state.connection_limits;
    let open = Arc::new(Mutex::new(OpenConnections::new(
        limits,
        state.trusted_proxies.clone(),
    )));
    let router = super::app(state);
    let (stopping, stop) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors (or a connection reset before accept): wait a
                    // moment instead of spinning, as axum's own loop does.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let admitted = open.lock().expect("connections lock").admit(peer.ip());
        let Some(admitted) = admitted else {
            connections.spawn(refuse(tcp));
            continue;
        };
        let entry = Entry {
            open: open.clone(),
            id: admitted.id,
        };
        connections.spawn(serve_connection(
            tcp,
            peer,
            router.clone(),
            limits,
            admitted,
            entry,
            stop.clone(),
        ));
    }
    tracing::info!("shutting down: finishing requests in flight");
    let _ = stopping.send(true);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    admitted: Admitted,
    _entry: Entry,
    mut stop: watch::Receiver<bool>,
) {
    // Small answers on keep-alive connections must not wait for Nagle's algorithm.
    if let Err(err) = tcp.set_nodelay(true) {
        tracing::debug!(%err, "could not set TCP_NODELAY");
    }
    let busy = admitted.busy.clone();
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let working = Working::start(busy.clone());
        let answer = TowerToHyperService::new(router.clone()).call(request);
        async move {
            let response = answer.await?;
            Ok::<_, Infallible>(response.map(|body| Body::new(Tracked { body, working })))
        }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(tcp), service);
    let mut connection = pin!(connection);
    let mut shed = admitted.shed;
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = &mut shed => {}
        _ = stop.wait_for(|stopping| *stopping) => {}
    }
    if admitted.busy.load(Ordering::SeqCst) == 0 {
        return; // idle: dropping the connection closes it
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(REQUEST_DEADLINE, connection).await;
}

/// Tells a connection refused at the cap why, then closes it.
async fn refuse(mut tcp: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), tcp.write_all(FULL_RESPONSE)).await;
}

/// The open connections, oldest first, so the cap closes the oldest idle one.
#[derive(Debug)]
struct OpenConnections {
    limits: ConnectionLimits,
    trusted_proxies: TrustedProxies,
    next_id: u64,
    by_age: BTreeMap<u64, Open>,
    per_address: HashMap<IpAddr, usize>,
}

#[derive(Debug)]
struct Open {
    address: IpAddr,
    /// Requests being answered on it (their bodies included).
    busy: Arc<AtomicUsize>,
    /// Closes it (when idle) or winds it down after its request (when busy).
    shed: oneshot::Sender<()>,
}

/// A connection let in: its place in the table and its signals.
struct Admitted {
    id: u64,
    busy: Arc<AtomicUsize>,
    shed: oneshot::Receiver<()>,
}

impl OpenConnections {
    fn new(limits: ConnectionLimits, trusted_proxies: TrustedProxies) -> Self {
        Self {
            limits,
            trusted_proxies,
            next_id: 0,
            by_age: BTreeMap::new(),
            per_address: HashMap::new(),
        }
    }

    /// Lets a connection from `address` in, closing the oldest idle one where a cap is
    /// reached; `None` when every connection under that cap is busy.
    fn admit(&mut self, address: IpAddr) -> Option<Admitted> {
        let capped = !self.trusted_proxies.trusts(address);
        let from_address = self.per_address.get(&address).copied().unwrap_or(0);
        if capped && from_address >= self.limits.per_address {
            self.shed_oldest_idle(|open| open.address == address)?;
        }
        if self.by_age.len() >= self.limits.total {
            self.shed_oldest_idle(|_| true)?;
        }
        let id = self.next_id;
        self.next_id += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let (shed_tx, shed) = oneshot::channel();
        self.by_age.insert(
            id,
            Open {
                address,
                busy: busy.clone(),
                shed: shed_tx,
            },
        );
        *self.per_address.entry(address).or_default() += 1;
        Some(Admitted { id, busy, shed })
    }

    fn shed_oldest_idle(&mut self, which: impl Fn(&Open) -> bool) -> Option<()> {
        let id = self
            .by_age
            .iter()
            .find(|(_, open)| which(open) && open.busy.load(Ordering::SeqCst) == 0)
            .map(|(id, _)| *id)?;
        let open = self.remove(id)?;
        let _ = open.shed.send(());
        Some(())
    }

    fn remove(&mut self, id: u64) -> Option<Open> {
        let open = self.by_age.remove(&id)?;
        if let Some(count) = self.per_address.get_mut(&open.address) {
            *count -= 1;
            if *count == 0 {
                self.per_address.remove(&open.address);
            }
        }
        Some(open)
    }
}

/// A connection's row in [`OpenConnections`], removed when the connection ends.
struct Entry {
    open: Arc<Mutex<OpenConnections>>,
    id: u64,
}

impl Drop for Entry {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(self.id);
        }
    }
}

/// Counts a request as being answered until its response body has been sent.
struct Working(Arc<AtomicUsize>);

impl Working {
    fn start(busy: Arc<AtomicUsize>) -> Self {
        busy.fetch_add(1, Ordering::SeqCst);
        Self(busy)
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its connection counted busy while it is being sent (an MCP
/// event stream can outlive the handler by a long way).
struct Tracked {
    body: Body,
    #[allow(dead_code, reason = "held for its Drop")]
    working: Working,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(per_address: usize, total: usize) -> OpenConnections {
        let limits = ConnectionLimits {
            per_address,
            total,
            ..ConnectionLimits::default()
        };
        OpenConnections::new(
            limits,
            TrustedProxies::new(vec!["10.0.0.1/32".parse().unwrap()]),
        )
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_full_address_closes_its_own_oldest_idle_connection() {
        let mut open = table(2, 10);
        let mut first = open.admit(ip("192.0.2.1")).unwrap();
        let _second = open.admit(ip("192.0.2.1")).unwrap();
        let mut other = open.admit(ip("192.0.2.2")).unwrap();
        let _third = open.admit(ip("192.0.2.1")).unwrap();
        assert!(first.shed.try_recv().is_ok(), "the oldest is closed");
        assert!(
            other.shed.try_recv().is_err(),
            "another address keeps its own"
        );
        assert_eq!(open.per_address[&ip("192.0.2.1")], 2);
    }

    #[test]
    fn busy_connections_are_kept_and_the_new_one_refused() {
        let mut open = table(2, 10);
        let first = open.admit(ip("192.0.2.1")).unwrap();
        let second = open.admit(ip("192.0.2.1")).unwrap();
        first.busy.fetch_add(1, Ordering::SeqCst);
        let _third = open.admit(ip("192.0.2.1")).unwrap();
        assert_eq!(open.by_age.len(), 2, "the idle second made room");
        assert!(!open.by_age.contains_key(&second.id));
        second.busy.fetch_add(1, Ordering::SeqCst);
        open.by_age.values().for_each(|o| {
            o.busy.fetch_add(1, Ordering::SeqCst);
        });
        assert!(open.admit(ip("192.0.2.1")).is_none());
    }

    #[test]
    fn a_trusted_proxy_is_held_only_to_the_total() {
        let mut open = table(1, 3);
        let kept: Vec<_> = (0..3)
            .map(|_| open.admit(ip("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(open.by_age.len(), 3);
        let _fourth = open.admit(ip("10.0.0.1")).unwrap();
        assert_eq!(open.by_age.len(), 3, "the total still holds");
        assert!(!open.by_age.contains_key(&kept[0].id));
    }
}
