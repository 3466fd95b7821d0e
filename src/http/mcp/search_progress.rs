//! The `search` tool's progress: while a search waits on a catalogue still being indexed
//! (the first seconds after a sign-in), a caller that sent a `progressToken` gets
//! `notifications/progress` with the lookups done and known so far. The SDK then answers
//! the call as an event stream, notifications first, instead of one JSON body.

use axum::http::request::Parts;
use rmcp::RoleServer;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::RequestContext;
use tokio::sync::mpsc;

use super::McpServer;
use super::tools::{ToolAnswer, answer, caller};
use crate::ops::{IndexProgress, SearchInput};

impl McpServer {
    /// Runs `search`, sending the index build's progress when the caller asked for it.
    pub(super) async fn run_search(
        &self,
        parts: &Parts,
        context: &RequestContext<RoleServer>,
        input: SearchInput,
    ) -> ToolAnswer {
        let caller = caller(parts)?;
        let Some(token) = context.meta.get_progress_token() else {
            return Ok(answer(self.ops.search(&caller, input).await));
        };
        let (sender, mut progress) = mpsc::unbounded_channel::<IndexProgress>();
        let peer = context.peer.clone();
        let forward = tokio::spawn(async move {
            while let Some(p) = progress.recv().await {
                let total = p
                    .customers_total
                    .map_or_else(String::new, |t| format!(" of {t}"));
                let message = format!(
                    "Indexing the catalogue: {} customers{total} done, {} lookups",
                    p.customers_done, p.lookups_done
                );
                #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
                let param = ProgressNotificationParam::new(token.clone(), p.lookups_done as f64)
                    .with_total(p.lookups_known as f64)
                    .with_message(message);
                if peer.notify_progress(param).await.is_err() {
                    break;
                }
            }
        });
        let report = move |p: &IndexProgress| {
            let _ = sender.send(p.clone());
        };
        let result = self.ops.search_reporting(&caller, input, &report).await;
        // The channel closes with `report`; the notifications go out before the answer.
        drop(report);
        let _ = forward.await;
        Ok(answer(result))
    }
}
