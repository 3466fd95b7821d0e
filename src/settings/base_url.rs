//! The one check of a base URL, whoever gives it: the Tidsreg URL, `--public-url`, or the
//! URL `schema` renders into the Action schema.

use url::Url;

/// Parses `raw` as a base URL: http or https, a host, no query, fragment, user name or
/// password, and nothing that could break out of a quoted string (quotes, backslashes,
/// spaces). Answers the parsed URL, or what is wrong with it in a few words.
pub fn parse_base_url(raw: &str) -> Result<Url, &'static str> {
    let raw = raw.trim();
    if raw.contains(['"', '\'', '\\', '`']) || raw.contains(char::is_whitespace) {
        return Err("holds a quote, a backslash or a space");
    }
    let url = Url::parse(raw).map_err(|err| match err {
        url::ParseError::RelativeUrlWithoutBase => "is not an http(s) URL",
        _ => "is not a valid URL",
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("is not an http(s) URL");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("has a query or a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("holds a user name or password, which would be published");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_http_with_a_host_and_nothing_more() {
        assert!(parse_base_url("https://tidsreg.trifork.com").is_ok());
        assert!(parse_base_url(" http://127.0.0.1:8000/ ").is_ok());
        for bad in [
            "ftp://x",
            "not a url",
            "https://x/?a=1",
            "https://x/#f",
            "https://user:pw@x",
            "https://x\"y",
            "/relative",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }
}
