//! `tidsreg-gpt serve`: wires the upstream, the API, the schema and the screen together.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use url::Url;

use crate::api::{self, AppState};
use crate::auth::ApiKeys;
use crate::config::{ServeSettings, Upstream};
use crate::config_file::write_private;
use crate::fake::{self, FakeUpstream};
use crate::ops::Ops;
use crate::schema;
use crate::sessions::SessionStore;
use crate::tidsreg::Tidsreg;

/// The line printed once the server answers; scripts and tests wait for it.
pub const READY_LINE: &str = "Ready. Press Ctrl-C to stop.";

/// Runs until Ctrl-C (or SIGTERM), then finishes in-flight requests and returns.
pub async fn run(settings: ServeSettings) -> Result<()> {
    let demo = match settings.upstream {
        Upstream::Demo => Some(
            FakeUpstream::start()
                .await
                .context("cannot start the demo Tidsreg")?,
        ),
        Upstream::Url(_) => None,
    };
    let upstream_url = match (&settings.upstream, &demo) {
        (Upstream::Url(url), _) => url.clone(),
        (Upstream::Demo, Some(fake)) => Url::parse(&fake.url()).context("demo Tidsreg URL")?,
        (Upstream::Demo, None) => unreachable!("the demo upstream was started above"),
    };
    let listener = bind(&settings.host, settings.port).await?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let public_url = match &settings.public_url {
        Some(url) => url.to_string(),
        None => format!("http://{}", display_addr(local)),
    };
    let schema_yaml = schema::render(&public_url).context("cannot render the Action schema")?;
    let schema_path = settings.schema_path();
    write_private(&schema_path, &schema_yaml)
        .with_context(|| format!("cannot write the schema to {}", schema_path.display()))?;

    let state = AppState {
        ops: Ops::new(
            Tidsreg::new(upstream_url.clone())?,
            Arc::new(SessionStore::default()),
        ),
        keys: Arc::new(ApiKeys::new(settings.api_keys.clone())),
        schema_yaml: schema_yaml.into(),
    };
    let screen = Screen {
        local,
        public_url: &public_url,
        settings: &settings,
        upstream_url: &upstream_url,
        keys: &state.keys,
        demo: demo.is_some(),
    };
    println!("{}", screen.render());
    println!("{READY_LINE}");
    axum::serve(listener, api::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    tracing::info!("stopped");
    Ok(())
}

async fn bind(host: &str, port: u16) -> Result<TcpListener> {
    TcpListener::bind((host, port)).await.with_context(|| {
        format!("cannot listen on {host}:{port}; is another server using it? Pick another with --port (or PORT)")
    })
}

/// `0.0.0.0` is where we listen, not an address a browser can open.
fn display_addr(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    }
}

/// The one screen `serve` prints: everything needed to configure the GPT.
struct Screen<'a> {
    local: SocketAddr,
    public_url: &'a str,
    settings: &'a ServeSettings,
    upstream_url: &'a Url,
    keys: &'a ApiKeys,
    demo: bool,
}

impl Screen<'_> {
    fn render(&self) -> String {
        let base = self.public_url.trim_end_matches('/');
        let mut out = format!(
            "tidsreg-gpt {} is serving the GPT Action API\n\n",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(out, "  Local URL    http://{}", display_addr(self.local));
        let _ = writeln!(out, "  Public URL   {base}");
        let _ = writeln!(out, "  Schema URL   {base}/openapi.yaml");
        let _ = writeln!(
            out,
            "  Schema file  {}",
            self.settings.schema_path().display()
        );
        if let Some(key) = self.keys.keys().first() {
            let _ = writeln!(
                out,
                "  API key      {}   (key id: {})",
                key.key.expose(),
                key.id
            );
            let _ = writeln!(
                out,
                "               GPT editor: Actions → Authentication → API Key → Auth Type: Bearer"
            );
        }
        if self.keys.keys().len() > 1 {
            let _ = writeln!(
                out,
                "               (+{} more keys in {})",
                self.keys.keys().len() - 1,
                self.settings.config_path.display()
            );
        }
        if self.demo {
            let _ = writeln!(
                out,
                "  Upstream     demo Tidsreg at {} (sign in as {} / {})",
                self.upstream_url,
                fake::DEMO_USERNAME,
                fake::DEMO_PASSWORD
            );
        } else {
            let _ = writeln!(out, "  Upstream     {}", self.upstream_url);
        }
        if self.settings.public_url.is_none() {
            let _ = writeln!(
                out,
                "\n  No tunnel: ChatGPT cannot reach a local URL. Pass --public-url when something else makes this server public."
            );
        }
        out
    }
}

/// Ctrl-C, or SIGTERM as platforms and `kill` send it.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
