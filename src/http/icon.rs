//! The server's icon: one small SVG, served publicly at [`ICON_PATH`] (behind the same door
//! and address rate limit as every route), advertised in the MCP `serverInfo.icons` (MCP
//! 2025-11-25) and copied into the plugin bundle (`tidsreg-gpt plugin`) for its listing.

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use rmcp::model::Icon;

/// Where the icon is served.
pub const ICON_PATH: &str = "/icon.svg";
/// The icon itself, embedded at build time.
pub const ICON_SVG: &str = include_str!("../../assets/icon.svg");
/// Its media type.
pub const ICON_MIME: &str = "image/svg+xml";
/// How long a client may keep the icon: it changes only with a release.
const ICON_CACHE: &str = "public, max-age=86400";

/// `GET /icon.svg`.
pub async fn serve() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ICON_MIME)),
            (header::CACHE_CONTROL, HeaderValue::from_static(ICON_CACHE)),
        ],
        ICON_SVG,
    )
}

/// The icon as MCP clients see it, under `base` (the public URL, no trailing slash). An
/// SVG scales, so its size is `any`.
pub fn mcp_icon(base: &str) -> Icon {
    Icon::new(format!("{base}{ICON_PATH}"))
        .with_mime_type(ICON_MIME)
        .with_sizes(vec!["any".to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_is_a_square_svg_under_the_public_url() {
        assert!(ICON_SVG.trim_start().starts_with("<svg"));
        assert!(ICON_SVG.contains(r#"viewBox="0 0 64 64""#));
        let icon = mcp_icon("https://x.example");
        assert_eq!(icon.src, "https://x.example/icon.svg");
        assert_eq!(icon.mime_type.as_deref(), Some(ICON_MIME));
    }
}
