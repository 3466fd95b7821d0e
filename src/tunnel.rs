//! The ngrok tunnel, through the ngrok-rs SDK, behind a small interface: open it, read its
//! URL, wait for it to drop, close it. The rest of the program never touches the SDK.
//!
//! Offline behaviour matters more than the online path: the SDK's `connect` has no time-out
//! of its own, so every dial is bounded here, and a failure comes back as an error that says
//! what to do while the local server keeps serving.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use ngrok::Session;
use ngrok::config::ForwarderBuilder;
use ngrok::forwarder::Forwarder;
use ngrok::session::{ConnectError, IoStream, default_connect};
use ngrok::tunnel::{EndpointInfo, HttpTunnel, TunnelCloser};
use url::Url;

pub use crate::settings::serve_settings::{AUTHTOKEN_URL, NgrokSettings};

/// Share of the open budget ([`NgrokSettings::open_timeout`]) one dial of the ngrok service
/// may take, also on the SDK's own reconnects: a listener that accepts and then stays silent
/// must not hang us, and its message ("did not answer") must come before the whole budget's.
const DIAL_SHARE: f64 = 0.8;
/// Back-off between reopen attempts after a drop: doubling from the first to the cap.
pub const REOPEN_FIRST_DELAY: Duration = Duration::from_secs(1);
/// Upper bound of the back-off, so a long outage still recovers within a minute of its end.
pub const REOPEN_MAX_DELAY: Duration = Duration::from_secs(60);

/// An open tunnel forwarding to the local server.
pub struct Tunnel {
    session: Session,
    forwarder: Forwarder<HttpTunnel>,
    url: String,
}

impl Tunnel {
    /// Opens a tunnel that forwards to `local`, within the settings' open budget.
    pub async fn open(settings: &NgrokSettings, local: SocketAddr) -> Result<Self> {
        tokio::time::timeout(settings.open_timeout, open_unbounded(settings, local))
            .await
            .map_err(|_| {
                anyhow!(
                    "the ngrok service did not answer within {} s",
                    settings.open_timeout.as_secs()
                )
            })?
    }

    /// The public HTTPS URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Resolves when the tunnel has stopped forwarding (dropped or closed upstream).
    pub async fn closed(&mut self) -> Result<()> {
        match self.forwarder.join().await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(anyhow!("the tunnel stopped: {e}")),
            Err(e) => Err(anyhow!("the tunnel task failed: {e}")),
        }
    }

    /// Closes the tunnel and the session, so the public URL stops answering at once.
    pub async fn close(mut self) {
        let _ = self.forwarder.close().await;
        let _ = self.session.close().await;
    }
}

async fn open_unbounded(settings: &NgrokSettings, local: SocketAddr) -> Result<Tunnel> {
    let dial_timeout = settings.open_timeout.mul_f64(DIAL_SHARE);
    let mut builder = Session::builder();
    builder
        .authtoken(settings.authtoken.expose())
        .client_info("tidsreg-gpt", env!("CARGO_PKG_VERSION"), None::<String>)
        .connector(move |host, port, tls, err| bounded_dial(host, port, tls, err, dial_timeout));
    if let Some(addr) = &settings.server_addr {
        builder
            .server_addr(addr.as_str())
            .with_context(|| format!("`{addr}` is not a valid ngrok server address (host:port)"))?;
    }
    let session = builder.connect().await.map_err(connect_error)?;
    let mut endpoint = session.http_endpoint();
    if let Some(domain) = &settings.domain {
        endpoint.domain(domain.as_str());
    }
    let to = Url::parse(&format!("http://{local}")).context("local address as URL")?;
    let forwarder = endpoint.listen_and_forward(to).await.map_err(|e| {
        anyhow!("ngrok refused the tunnel: {e:#}. If you passed --domain, check that it is reserved on your ngrok account")
    })?;
    let url = forwarder.url().to_string();
    Ok(Tunnel {
        session,
        forwarder,
        url,
    })
}

/// The SDK's own dial, bounded by `timeout`.
async fn bounded_dial(
    host: String,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    err: Option<ngrok::tunnel::AcceptError>,
    timeout: Duration,
) -> Result<Box<dyn IoStream>, ConnectError> {
    tokio::time::timeout(timeout, default_connect(host, port, tls, err))
        .await
        .unwrap_or_else(|_| {
            Err(ConnectError::Tcp(io::Error::new(
                io::ErrorKind::TimedOut,
                "the ngrok service accepted the connection but did not answer",
            )))
        })
}

/// Turns the SDK's error into a sentence with its cause chain and a next step.
fn connect_error(error: ConnectError) -> anyhow::Error {
    let hint = match &error {
        ConnectError::Auth(_) => format!(
            "check the authtoken (get yours at {AUTHTOKEN_URL}) and pass it with --authtoken or NGROK_AUTHTOKEN"
        ),
        _ => "check the network, or serve without a tunnel: --tunnel none --public-url <your URL>"
            .to_string(),
    };
    anyhow!(
        "cannot reach the ngrok service: {:#}; {hint}",
        anyhow::Error::new(error)
    )
}
