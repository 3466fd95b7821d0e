//! A built-in fake of Trifork's Tidsreg, for integration tests and `serve --demo`.
//!
//! It imitates the upstream contract (`tidsreg-upstream.md`): forms-auth login with an
//! `AuthTicket` cookie and `302` to `/Login` for a missing or expired session, the JSON
//! lookups under `/Find/Select*`, the HTML week page under `/Hours/DD-MM-YYYY`, the
//! registrations as JSON under `/api/Hours/DD-MM-YYYY?days=N`, and `POST /api/hours`, which
//! adds a booking to what the day holds (never replaces it). The catalogue is fixed and deterministic ([`data`]); each user has a
//! bookings store of their own. [`FakeControls`] injects faults (expired sessions, latency,
//! failure statuses, HTML instead of JSON, the other key spelling) and counts requests, so
//! tests can prove how our client behaves when the real upstream misbehaves.

mod answers;
pub mod data;
mod demo_weeks;
pub mod generated;
mod lookups;
mod pages;
mod routes;
mod state;
pub mod week_page;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use data::{ActivityPath, activity_path, demo_customers, find_activity};
pub use routes::{AUTH_COOKIE, router};
pub use state::{FakeControls, KeyStyle, USERS};

/// The demo user's name: what `serve --demo` tells people to sign in with.
pub const DEMO_USERNAME: &str = "demo";
/// The demo user's password.
pub const DEMO_PASSWORD: &str = "demo";
/// A second user with bookings of her own, to prove sessions and data never mix.
pub const ANNA_USERNAME: &str = "anna";
/// The second user's password.
pub const ANNA_PASSWORD: &str = "anna-pw";

/// How long [`FakeUpstream::shutdown`] lets in-flight requests finish before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running fake upstream on a local port. Dropping it (or awaiting
/// [`FakeUpstream::shutdown`]) stops it, so a test never leaks a server.
pub struct FakeUpstream {
    addr: SocketAddr,
    controls: FakeControls,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeUpstream {
    /// Starts the fake on `127.0.0.1` and a free port, as tests want.
    pub async fn start() -> anyhow::Result<FakeUpstream> {
        Self::start_on(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await
    }

    /// Starts the fake on `addr` (port 0 picks a free one), as `serve --demo` wants.
    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<FakeUpstream> {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!(
                "could not bind the fake Tidsreg upstream to {addr}: pick a free port, or port 0"
            )
        })?;
        let addr = listener
            .local_addr()
            .context("could not read the fake Tidsreg upstream's bound address")?;
        let controls = FakeControls::new();
        let app = router(controls.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let listener = listener.tap_io(|tcp| {
            // Small answers on keep-alive connections must not wait for Nagle.
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::debug!(%err, "fake upstream could not set TCP_NODELAY");
            }
        });
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(err) = server.await {
                tracing::warn!(%err, "fake Tidsreg upstream stopped with an error");
            }
        });
        tracing::info!(url = %display_url(addr), "fake Tidsreg upstream listening");
        Ok(FakeUpstream {
            addr,
            controls,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`, without a trailing slash, ready to be
    /// configured as the upstream URL.
    pub fn url(&self) -> String {
        display_url(self.addr)
    }

    /// A handle to steer the running fake and read its counters and bookings.
    pub fn controls(&self) -> FakeControls {
        self.controls.clone()
    }

    /// Stops accepting connections, lets in-flight requests finish (up to a grace period),
    /// then stops the server.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl std::fmt::Debug for FakeUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeUpstream")
            .field("url", &self.url())
            .field("controls", &self.controls)
            .finish()
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// `http://IP:PORT` for a bound address; an unspecified IP (`0.0.0.0`) is shown as loopback,
/// since that is where a local client can reach it.
fn display_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if !ip.is_unspecified() => ip,
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}
