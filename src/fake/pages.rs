//! The HTML pages the fake answers besides the week page: login, home, "object moved" and
//! "not found". They imitate an ASP.NET forms-auth site closely enough that a client which
//! mistakes one for data is caught by its tests.

use std::fmt;

/// Writes a string with HTML's special characters escaped, without allocating.
pub(super) struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// The top of every page: doctype, head with styles and scripts, and the site navigation.
pub(super) fn page_start(title: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="da">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1.0" />
  <title>{title} - Tidsreg</title>
  <link href="/Content/bootstrap.min.css" rel="stylesheet" />
  <link href="/Content/site.css" rel="stylesheet" />
  <script src="/Scripts/jquery-3.7.1.min.js"></script>
</head>
<body>
  <nav class="navbar navbar-inverse navbar-fixed-top">
    <div class="container">
      <a class="navbar-brand" href="/">Tidsreg</a>
      <ul class="nav navbar-nav">
        <li><a href="/Hours">Timer</a></li>
        <li><a href="/Reports">Rapporter</a></li>
        <li><a href="/Find">Find</a></li>
      </ul>
    </div>
  </nav>
  <div class="container body-content">
"#,
        title = Escaped(title)
    )
}

/// The bottom of every page.
pub(super) const PAGE_END: &str = r#"  </div>
  <footer class="container"><p>&copy; Trifork A/S &ndash; Tidsreg</p></footer>
  <script src="/Scripts/bootstrap.min.js"></script>
</body>
</html>
"#;

/// The forms-auth login page. `return_url` is echoed into the form's action like the real
/// thing; `failed` adds the error a wrong password shows.
pub(super) fn login_page(return_url: &str, failed: bool) -> String {
    let action: String = url::form_urlencoded::byte_serialize(return_url.as_bytes()).collect();
    let error = if failed {
        "    <div class=\"validation-summary-errors text-danger\"><ul><li>Forkert brugernavn eller adgangskode.</li></ul></div>\n"
    } else {
        ""
    };
    format!(
        r#"{start}    <h2>Log på</h2>
    <form action="/Login?ReturnUrl={action}" method="post" id="loginForm" class="form-horizontal">
      <input name="__RequestVerificationToken" type="hidden" value="CfDJ8fake-antiforgery-token" />
{error}      <div class="form-group">
        <label for="userName" class="control-label">Brugernavn</label>
        <input id="userName" name="userName" type="text" class="form-control" autofocus />
      </div>
      <div class="form-group">
        <label for="password" class="control-label">Adgangskode</label>
        <input id="password" name="password" type="password" class="form-control" />
      </div>
      <input type="submit" value="Log på" class="btn btn-primary" />
    </form>
{end}"#,
        start = page_start("Log på"),
        action = Escaped(&action),
        end = PAGE_END,
    )
}

/// The page behind `/` after logging in; also what lookups answer when told to send HTML.
pub(super) fn home_page() -> String {
    format!(
        r#"{start}    <h2>Velkommen til Tidsreg</h2>
    <p>Vælg <a href="/Hours">Timer</a> for at registrere denne uges timer.</p>
    <div id="news" class="panel panel-default"><div class="panel-body">Husk at registrere dine timer fredag.</div></div>
{end}"#,
        start = page_start("Forside"),
        end = PAGE_END,
    )
}

/// The body IIS sends along with a 302, as browsers that ignore `Location` would show it.
pub(super) fn object_moved(location: &str) -> String {
    format!(
        "<html><head><title>Object moved</title></head><body>\n\
         <h2>Object moved to <a href=\"{}\">here</a>.</h2>\n</body></html>\n",
        Escaped(location)
    )
}

/// The 404 page for every path the fake does not know.
pub(super) fn not_found_page() -> String {
    format!(
        "{}    <h2>404 - File or directory not found.</h2>\n    <p>The resource you are looking for might have been removed.</p>\n{}",
        page_start("Fejl"),
        PAGE_END
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        let text = Escaped(r#"&Money "A" <b> O'Neil"#).to_string();
        assert_eq!(text, "&amp;Money &quot;A&quot; &lt;b&gt; O&#39;Neil");
        assert_eq!(Escaped("Ærø").to_string(), "Ærø");
    }

    #[test]
    fn login_page_has_the_form_fields_and_encoded_return_url() {
        let page = login_page("/Find/SelectCustomers?mode=0", true);
        assert!(page.contains(r#"name="userName""#));
        assert!(page.contains(r#"name="password""#));
        assert!(page.contains("ReturnUrl=%2FFind%2FSelectCustomers%3Fmode%3D0"));
        assert!(page.contains("Forkert brugernavn"));
        assert!(!login_page("/", false).contains("Forkert brugernavn"));
    }
}
