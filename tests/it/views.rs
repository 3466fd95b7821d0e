//! MCP Apps views over real `/mcp` (the official Rust SDK's client): the three tools point at
//! their `ui://` view, the server advertises the extension, and each view reads back as one
//! small self-contained HTML document that loads nothing from another origin.

use rmcp::ServiceExt;
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use tidsreg_gpt::http::mcp::{BOOKING_VIEW, VIEW_MIME_TYPE, WEEK_VIEW};

use crate::fixture::{KEY_A, TestServer, start};

/// The size the issue allows one view.
const MAX_VIEW_BYTES: usize = 60 * 1024;

async fn connect(server: &TestServer) -> RunningService<RoleClient, ()> {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", server.url))
        .auth_header(KEY_A.to_string());
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
        .expect("MCP handshake")
}

#[tokio::test]
async fn the_week_and_booking_tools_point_at_their_views() {
    let server = start().await;
    let client = connect(&server).await;
    let info = client.peer_info().expect("server info");
    let extension = info
        .capabilities
        .extensions
        .as_ref()
        .and_then(|e| e.get("io.modelcontextprotocol/ui"))
        .expect("the MCP Apps extension is advertised");
    assert_eq!(extension["mimeTypes"][0], VIEW_MIME_TYPE);

    let tools = client.list_all_tools().await.expect("tools/list");
    for (name, view) in [
        ("get_hours", WEEK_VIEW),
        ("copy_week", BOOKING_VIEW),
        ("register_hours_batch", BOOKING_VIEW),
    ] {
        let tool = tools.iter().find(|t| t.name == name).expect(name);
        let meta = tool.meta.as_ref().expect("_meta");
        assert_eq!(meta["ui"]["resourceUri"], view, "{name}");
    }
    let plain = tools.iter().find(|t| t.name == "list_customers").unwrap();
    assert!(plain.meta.as_ref().is_none_or(|m| !m.contains_key("ui")));
    client.cancel().await.ok();
}

#[tokio::test]
async fn each_view_is_one_small_document_from_nowhere_else() {
    let server = start().await;
    let client = connect(&server).await;
    let listed = client.list_all_resources().await.expect("resources/list");
    let uris: Vec<&str> = listed.iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(uris, [WEEK_VIEW, BOOKING_VIEW]);

    for uri in [WEEK_VIEW, BOOKING_VIEW] {
        let read = client
            .read_resource(ReadResourceRequestParams::new(uri))
            .await
            .expect("resources/read");
        let [
            ResourceContents::TextResourceContents {
                mime_type,
                text,
                meta,
                ..
            },
        ] = read.contents.as_slice()
        else {
            panic!("{uri}: one text document")
        };
        assert_eq!(mime_type.as_deref(), Some(VIEW_MIME_TYPE), "{uri}");
        assert!(text.len() <= MAX_VIEW_BYTES, "{uri}: {} bytes", text.len());
        assert!(text.starts_with("<!doctype html>"), "{uri}");
        let lower = text.to_lowercase();
        for outside in ["src=", "href=", "url(", "@import", "http:", "https:"] {
            assert!(!lower.contains(outside), "{uri} holds `{outside}`");
        }
        let csp = &meta.as_ref().expect("_meta")["ui"]["csp"];
        for list in ["connectDomains", "resourceDomains", "frameDomains"] {
            assert_eq!(csp[list], serde_json::json!([]), "{uri}: {list}");
        }
    }

    let unknown = client
        .read_resource(ReadResourceRequestParams::new("ui://tidsreg/nope"))
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains(WEEK_VIEW), "{unknown}");
    client.cancel().await.ok();
}
