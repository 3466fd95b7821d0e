//! The sign-in page and the dead-end page, from `assets/oauth/` (embedded, no CDN). Every
//! value put into them is HTML-escaped here, in one place.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

const SIGNIN_HTML: &str = include_str!("../../../assets/oauth/signin.html");
const PROBLEM_HTML: &str = include_str!("../../../assets/oauth/problem.html");
const STYLE_CSS: &str = include_str!("../../../assets/oauth/style.css");

/// The page's own rules for the browser: nothing loads from elsewhere (styles are inline),
/// no page may frame it (clickjacking), and it is never cached. `form-action` is left out on
/// purpose: Chrome applies it to the redirect that follows the form, and that redirect goes
/// to the client's own callback.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// What the sign-in form shows.
pub struct SignIn<'a> {
    /// Who asks: the client's name.
    pub client: &'a str,
    /// Whether that name is vouched for by where the code goes (ChatGPT's or Claude's own
    /// callback host); otherwise the page says the app is unverified.
    pub verified: bool,
    /// Where the person goes back to, as a host name.
    pub redirect_host: &'a str,
    /// The pending authorization request's id (a hidden field).
    pub request: &'a str,
    /// The username typed before, kept after a wrong password.
    pub username: &'a str,
    /// What went wrong on the previous attempt.
    pub error: Option<&'a str>,
}

/// The sign-in form.
pub fn sign_in(page: &SignIn<'_>) -> Response {
    let error = page
        .error
        .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e)))
        .unwrap_or_default();
    // Focus where the person types next: the password after an error, else the username.
    let (username_focus, password_focus) = if page.username.is_empty() {
        ("autofocus", "")
    } else {
        ("", "autofocus")
    };
    let html = fill(
        SIGNIN_HTML,
        &[
            ("{{style}}", STYLE_CSS),
            ("{{who}}", &who(page)),
            ("{{redirect_host}}", &escape(page.redirect_host)),
            ("{{action}}", super::AUTHORIZE_PATH),
            ("{{request}}", &escape(page.request)),
            ("{{username}}", &escape(page.username)),
            ("{{username_focus}}", username_focus),
            ("{{password_focus}}", password_focus),
            ("{{error}}", &error),
        ],
    );
    secured(StatusCode::OK, html)
}

/// Who asks, as the page says it: a verified app by name, any other as an unverified app
/// that calls itself something.
fn who(page: &SignIn<'_>) -> String {
    match page.verified {
        true => format!("<strong>{}</strong>", escape(page.client)),
        false => format!(
            r#"An app that calls itself <strong>“{}”</strong> <span class="unverified">(unverified)</span>"#,
            escape(page.client)
        ),
    }
}

/// A page for requests that cannot go back to the client (unknown client, bad redirect
/// URI, expired sign-in): RFC 6749 §4.1.2.1 forbids redirecting those.
pub fn problem(status: StatusCode, message: &str) -> Response {
    let html = fill(
        PROBLEM_HTML,
        &[("{{style}}", STYLE_CSS), ("{{message}}", &escape(message))],
    );
    secured(status, html)
}

/// Replaces each placeholder in one pass over the template, so a value that happens to
/// contain `{{...}}` is never itself substituted.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 4096);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        match values.iter().find(|(key, _)| tail.starts_with(key)) {
            Some((key, value)) => {
                out.push_str(value);
                rest = &tail[key.len()..];
            }
            None => {
                out.push_str("{{");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn secured(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_echoed_is_escaped() {
        let page = SignIn {
            client: "<script>alert(1)</script>",
            verified: false,
            redirect_host: "a\"b",
            request: "r'1",
            username: "\"><img src=x>{{error}}",
            error: Some("<b>bad</b>"),
        };
        let response = sign_in(&page);
        let html = futures_body(response);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>bad"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&quot;&gt;&lt;img src=x&gt;{{error}}"));
        assert!(!html.contains("{{style}}"));
    }

    fn futures_body(response: Response) -> String {
        let body = response.into_body();
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(body, usize::MAX))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
