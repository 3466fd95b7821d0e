//! MCP Apps views (SEP-1865): the week and the booking as small HTML documents a host shows
//! in a sandboxed iframe beside a tool's answer, fed the tool's result over the host's
//! postMessage bridge. One home for all of it: the `ui://` resources, which tools point at
//! which view (`_meta.ui.resourceUri`), and the extension a server advertises.
//!
//! Hosts without MCP Apps ignore the `_meta` and the resources; their tools answer as before.

use rmcp::ErrorData;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    ExtensionCapabilities, ListResourcesResult, MetaObject, ReadResourceResult, Resource,
    ResourceContents,
};
use serde_json::{Value, json};

/// The MCP Apps extension's id in `capabilities.extensions`.
pub const EXTENSION_ID: &str = "io.modelcontextprotocol/ui";
/// The MIME type of an MCP Apps view: HTML with the MCP Apps profile.
pub const VIEW_MIME_TYPE: &str = "text/html;profile=mcp-app";
/// The week grid, linked from `get_hours`.
pub const WEEK_VIEW: &str = "ui://tidsreg/week";
/// The planned lines with their *Book these* button, linked from `copy_week` and the batch.
pub const BOOKING_VIEW: &str = "ui://tidsreg/booking";

/// One view: its address, names, and the document (inline CSS and JavaScript only).
struct View {
    uri: &'static str,
    name: &'static str,
    title: &'static str,
    description: &'static str,
    html: &'static str,
}

const VIEWS: &[View] = &[
    View {
        uri: WEEK_VIEW,
        name: "week",
        title: "Week of hours",
        description: "The ISO week as a grid: activities down, Monday to Sunday across, with row and day totals and short days marked.",
        html: include_str!("../../../assets/views/week.html"),
    },
    View {
        uri: BOOKING_VIEW,
        name: "booking",
        title: "Book planned hours",
        description: "Planned lines with their warnings; untick lines, then Book these books the rest.",
        html: include_str!("../../../assets/views/booking.html"),
    },
];

/// Which tool's result each view shows.
const TOOL_VIEWS: &[(&str, &str)] = &[
    ("get_hours", WEEK_VIEW),
    ("copy_week", BOOKING_VIEW),
    ("register_hours_batch", BOOKING_VIEW),
];

/// Points the tools of [`TOOL_VIEWS`] at their view: `_meta.ui.resourceUri`, plus the
/// flat `ui/resourceUri` key hosts of the first drafts read. Other `_meta` keys are kept.
pub fn link_tools<S>(mut router: ToolRouter<S>) -> ToolRouter<S> {
    for (tool, uri) in TOOL_VIEWS {
        if let Some(route) = router.map.get_mut(*tool) {
            let meta = route.attr.meta.get_or_insert_with(MetaObject::default);
            meta.insert("ui".into(), json!({ "resourceUri": uri }));
            meta.insert("ui/resourceUri".into(), Value::from(*uri));
        }
    }
    router
}

/// What `capabilities.extensions` says: this server offers MCP Apps views.
pub fn extension() -> ExtensionCapabilities {
    let settings = json!({ "mimeTypes": [VIEW_MIME_TYPE] });
    let Value::Object(settings) = settings else {
        unreachable!("a JSON object literal")
    };
    ExtensionCapabilities::from([(EXTENSION_ID.to_string(), settings)])
}

/// `resources/list`: the views.
pub fn list() -> ListResourcesResult {
    let resources = VIEWS
        .iter()
        .map(|view| {
            let mut resource = Resource::new(view.uri, view.name)
                .with_title(view.title)
                .with_description(view.description);
            resource.mime_type = Some(VIEW_MIME_TYPE.into());
            resource.size = Some(view.html.len() as u64);
            resource.meta = Some(resource_meta());
            resource
        })
        .collect();
    ListResourcesResult::with_all_items(resources)
}

/// `resources/read` of one view, or an error naming the addresses there are.
pub fn read(uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let view = VIEWS.iter().find(|view| view.uri == uri).ok_or_else(|| {
        let known: Vec<&str> = VIEWS.iter().map(|view| view.uri).collect();
        ErrorData::resource_not_found(
            format!("no resource `{uri}`; the views are {}", known.join(" and ")),
            None,
        )
    })?;
    let contents = ResourceContents::text(view.html, view.uri)
        .with_mime_type(VIEW_MIME_TYPE)
        .with_meta(resource_meta());
    Ok(ReadResourceResult::new(vec![contents]))
}

/// `_meta.ui` of every view: an empty CSP allow-list (no origin to connect to or load from,
/// no frames) and a border for the host to draw.
fn resource_meta() -> MetaObject {
    let mut meta = MetaObject::default();
    meta.insert(
        "ui".into(),
        json!({
            "csp": { "connectDomains": [], "resourceDomains": [], "frameDomains": [] },
            "prefersBorder": true
        }),
    );
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size the issue allows one view, so hosts load it at once.
    const MAX_VIEW_BYTES: usize = 60 * 1024;

    #[test]
    fn each_view_is_small_and_loads_nothing_from_elsewhere() {
        for view in VIEWS {
            assert!(
                view.html.len() <= MAX_VIEW_BYTES,
                "{}: {} bytes",
                view.uri,
                view.html.len()
            );
            for attr in [
                "src=", "href=", "url(", "@import", "http://", "https://", "//",
            ] {
                let outside = view
                    .html
                    .match_indices(attr)
                    .map(|(at, _)| &view.html[at..(at + 40).min(view.html.len())])
                    .filter(|hit| !hit.starts_with("// ") && !hit.starts_with("//\n"))
                    .collect::<Vec<_>>();
                assert!(outside.is_empty(), "{}: {outside:?}", view.uri);
            }
        }
    }

    #[test]
    fn an_unknown_uri_names_the_views() {
        let error = read("ui://tidsreg/nope").unwrap_err();
        assert!(error.message.contains(WEEK_VIEW), "{}", error.message);
    }
}
