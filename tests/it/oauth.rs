//! The built-in OAuth server, end to end over real HTTP against the fake upstream: discovery,
//! registration, the sign-in page with PKCE, code exchange, tokens on `/mcp` and `/api`,
//! refresh with rotation, revocation, and every refusal the RFCs ask for.

use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use tidsreg_gpt::fake::{ANNA_PASSWORD, ANNA_USERNAME, DEMO_PASSWORD, DEMO_USERNAME};

use tidsreg_gpt::http::oauth::RegistrationCaps;
use tidsreg_gpt::settings::serve_settings::RateLimits;

use crate::fixture::binary::{local_url, serve};
use crate::fixture::oauth::{
    self, Client, authorize_url, code_for, code_from, exchange, mcp_status, open_page, pkce,
    public_metadata, refresh, register, register_as, request_id, sign_in, submit, token_request,
    tokens,
};
use crate::fixture::{
    STATIC_CLIENT_ID, STATIC_CLIENT_SECRET, STATIC_REDIRECT_URI, TestServer, into_json, start,
    start_configured,
};

/// `GET /api/customers` with `token`.
async fn api_status(server: &TestServer, token: &str) -> (StatusCode, Value) {
    server.get(Some(token), "/api/customers").await
}

/// Asserts an RFC 6749 error body with `code`.
fn assert_oauth_error(status: StatusCode, body: &Value, code: &str) {
    assert!(status.is_client_error(), "{status} {body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["error_description"].as_str().unwrap().len() > 10,
        "{body}"
    );
}

fn assert_challenge(server: &TestServer, challenge: Option<String>) {
    let challenge = challenge.expect("a WWW-Authenticate header");
    let metadata = format!(
        r#"resource_metadata="{}/.well-known/oauth-protected-resource/mcp""#,
        server.url
    );
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains(&metadata), "{challenge}");
}

#[tokio::test]
async fn discovery_documents_point_at_this_server() {
    let server = start().await;
    let (status, auth) = server
        .get(None, "/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(status, StatusCode::OK);
    let base = &server.url;
    assert_eq!(auth["issuer"], base.as_str());
    assert_eq!(
        auth["authorization_endpoint"],
        format!("{base}/oauth/authorize")
    );
    assert_eq!(auth["token_endpoint"], format!("{base}/oauth/token"));
    assert_eq!(
        auth["registration_endpoint"],
        format!("{base}/oauth/register")
    );
    assert_eq!(auth["revocation_endpoint"], format!("{base}/oauth/revoke"));
    assert_eq!(auth["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(auth["response_types_supported"], json!(["code"]));
    assert_eq!(auth["authorization_response_iss_parameter_supported"], true);

    let (_, resource) = server
        .get(None, "/.well-known/oauth-protected-resource")
        .await;
    assert_eq!(resource["resource"], base.as_str());
    assert_eq!(resource["authorization_servers"], json!([base]));
    let (_, mcp) = server
        .get(None, "/.well-known/oauth-protected-resource/mcp")
        .await;
    assert_eq!(mcp["resource"], format!("{base}/mcp"));

    // No token at all: 401 pointing at the resource metadata.
    let response = oauth::http()
        .post(format!("{base}/mcp"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let challenge = response.headers().get(WWW_AUTHENTICATE).cloned();
    let (status, body) = into_json(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["data"]["code"], "unauthorized", "{body}");
    assert_challenge(&server, challenge.map(|v| v.to_str().unwrap().to_string()));
}

#[tokio::test]
async fn the_whole_dance_then_refresh_rotates() {
    let server = start().await;
    let client = register(&server).await;
    assert!(client.secret.is_none(), "asked for a public client");
    let pkce = pkce();
    let url = authorize_url(&server, &client, &pkce.challenge, "xyz-state");
    let response = oauth::http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    oauth::keep_cookies(&response);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Test &lt;MCP&gt; client"),
        "the client name, escaped: {html}"
    );
    assert!(!html.contains("<MCP>"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );

    let response = submit(&server, &request_id(&html), DEMO_USERNAME, DEMO_PASSWORD).await;
    let code = code_from(&response, &client, "xyz-state");
    let (status, body) = exchange(&server, &client, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "tidsreg");
    let first = tokens(&body);

    assert_eq!(mcp_status(&server, &first.access).await.0, StatusCode::OK);
    let (status, customers) = api_status(&server, &first.access).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "signed in through the page: {customers}"
    );

    let (status, body) = refresh(&server, &client, &first.refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = tokens(&body);
    assert_ne!(second.access, first.access);
    assert_ne!(second.refresh, first.refresh);
    assert_eq!(api_status(&server, &second.access).await.0, StatusCode::OK);

    // The old refresh token is spent; presenting it again means it leaked, so the whole
    // grant goes (RFC 9700 §4.14.2), the new tokens with it.
    let (status, body) = refresh(&server, &client, &first.refresh).await;
    assert_oauth_error(status, &body, "invalid_grant");
    let (status, challenge) = mcp_status(&server, &second.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_challenge(&server, challenge);
}

#[tokio::test]
async fn revoking_ends_the_grant_and_its_tidsreg_session() {
    let server = start().await;
    let (client, tokens) = sign_in(&server, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(mcp_status(&server, &tokens.access).await.0, StatusCode::OK);
    let response = oauth::http()
        .post(format!("{}/oauth/revoke", server.url))
        .form(&[
            ("token", tokens.refresh.as_str()),
            ("token_type_hint", "refresh_token"),
            ("client_id", &client.id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, challenge) = mcp_status(&server, &tokens.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = challenge.unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    assert_eq!(
        api_status(&server, &tokens.access).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Unknown tokens are fine to revoke (RFC 7009 §2.2).
    let response = oauth::http()
        .post(format!("{}/oauth/revoke", server.url))
        .form(&[("token", "whatever"), ("client_id", client.id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused_and_spends_the_code() {
    let server = start().await;
    let client = register(&server).await;
    let (code, pkce) = code_for(&server, &client, DEMO_USERNAME, DEMO_PASSWORD).await;
    let wrong = oauth::pkce().verifier;
    let (status, body) = exchange(&server, &client, &code, &wrong).await;
    assert_oauth_error(status, &body, "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("code_verifier")
    );
    let (status, body) = exchange(&server, &client, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, "invalid_grant");
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_its_tokens() {
    let server = start().await;
    let client = register(&server).await;
    let (code, pkce) = code_for(&server, &client, DEMO_USERNAME, DEMO_PASSWORD).await;
    let (status, body) = exchange(&server, &client, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = tokens(&body);
    let (status, body) = exchange(&server, &client, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, "invalid_grant");
    assert_eq!(
        mcp_status(&server, &first.access).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn redirect_uris_must_match_exactly() {
    let server = start().await;
    let client = register(&server).await;
    // At the authorization request: a page, never a redirect to the unknown URI.
    let other = Client {
        redirect_uri: "http://127.0.0.1:9/callback/evil".into(),
        ..client.clone()
    };
    let response = oauth::http()
        .get(authorize_url(&server, &other, &pkce().challenge, "s"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(response.text().await.unwrap().contains("redirect URI"));
    // At the exchange: the code is refused for another URI.
    let (code, pkce) = code_for(&server, &client, DEMO_USERNAME, DEMO_PASSWORD).await;
    let (status, body) = exchange(&server, &other, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, "invalid_grant");
}

#[tokio::test]
async fn a_wrong_password_shows_the_page_again_with_the_username_and_no_code() {
    let server = start().await;
    let client = register(&server).await;
    let pkce = pkce();
    let (_, html) = open_page(&authorize_url(&server, &client, &pkce.challenge, "s1")).await;
    let request = request_id(&html);
    let response = submit(&server, &request, "demo\"<b>", "wrong").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(LOCATION).is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("did not accept"), "{html}");
    assert!(
        html.contains(r#"value="demo&quot;&lt;b&gt;""#),
        "username kept, escaped: {html}"
    );
    // The same sign-in then succeeds with the right password.
    let response = submit(&server, &request, DEMO_USERNAME, DEMO_PASSWORD).await;
    let code = code_from(&response, &client, "s1");
    let (status, _) = exchange(&server, &client, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK);
    // And a used sign-in page cannot be submitted again.
    let again = submit(&server, &request, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_and_expired_tokens_get_401_with_the_challenge() {
    let ttl = Duration::from_secs(60);
    let server = start_configured(|config| config.access_token_ttl = ttl).await;
    let (status, challenge) = mcp_status(&server, "tgpt_at_unknown").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_challenge(&server, challenge);

    let (client, tokens) = sign_in(&server, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(mcp_status(&server, &tokens.access).await.0, StatusCode::OK);
    server.clock.advance(ttl + Duration::from_secs(1));
    let (status, challenge) = mcp_status(&server, &tokens.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.unwrap().contains("invalid_token"));
    let (status, body) = api_status(&server, &tokens.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // The refresh token still works: that is what it is for.
    let (status, body) = refresh(&server, &client, &tokens.refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_static_client_authenticates_with_its_secret() {
    let server = start().await;
    let client = Client {
        id: STATIC_CLIENT_ID.into(),
        secret: None,
        redirect_uri: STATIC_REDIRECT_URI.into(),
    };
    // GPT Actions may not send PKCE; a confidential client may skip it.
    let url = format!(
        "{}/oauth/authorize?response_type=code&client_id={STATIC_CLIENT_ID}&redirect_uri={}&state=g1&scope=tidsreg",
        server.url,
        url::form_urlencoded::byte_serialize(STATIC_REDIRECT_URI.as_bytes()).collect::<String>()
    );
    let (status, html) = open_page(&url).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let response = submit(&server, &request_id(&html), ANNA_USERNAME, ANNA_PASSWORD).await;
    let code = code_from(&response, &client, "g1");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", STATIC_REDIRECT_URI),
    ];
    // Without the secret: invalid_client, 401.
    let (status, body) = token_request(&server, &client, &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_oauth_error(status, &body, "invalid_client");
    // With HTTP Basic, as GPT Actions can send it.
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{STATIC_CLIENT_ID}:{STATIC_CLIENT_SECRET}"));
    let response = oauth::http()
        .post(format!("{}/oauth/token", server.url))
        .header("authorization", format!("Basic {basic}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let (status, body) = into_json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        api_status(&server, body["access_token"].as_str().unwrap())
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn refusals_follow_rfc_6749() {
    let server = start().await;
    let client = register(&server).await;
    // A public client without PKCE is sent back with an error and its state.
    let url = format!(
        "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&state=s9",
        server.url,
        client.id,
        url::form_urlencoded::byte_serialize(client.redirect_uri.as_bytes()).collect::<String>()
    );
    let response = oauth::http().get(&url).send().await.unwrap();
    let location = response.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(location.contains("error=invalid_request"), "{location}");
    assert!(location.contains("state=s9"), "{location}");
    // An unknown client gets a page, not a redirect.
    let response = oauth::http()
        .get(format!(
            "{}/oauth/authorize?client_id=nobody&response_type=code",
            server.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (status, body) = token_request(&server, &client, &[("grant_type", "password")]).await;
    assert_oauth_error(status, &body, "unsupported_grant_type");
    let (status, body) = token_request(
        &server,
        &client,
        &[("grant_type", "authorization_code"), ("code", "nope")],
    )
    .await;
    assert_oauth_error(status, &body, "invalid_grant");
    let response = oauth::http()
        .post(format!("{}/oauth/register", server.url))
        .json(&json!({ "redirect_uris": ["http://evil.example/cb"] }))
        .send()
        .await
        .unwrap();
    let (status, body) = into_json(response).await;
    assert_oauth_error(status, &body, "invalid_redirect_uri");
}

#[tokio::test]
async fn signing_in_again_revokes_the_older_grant_and_people_stay_apart() {
    let server = start().await;
    let client = register(&server).await;
    let (code, pkce) = code_for(&server, &client, DEMO_USERNAME, DEMO_PASSWORD).await;
    let old = tokens(&exchange(&server, &client, &code, &pkce.verifier).await.1);
    let (code, pkce) = code_for(&server, &client, DEMO_USERNAME, DEMO_PASSWORD).await;
    let new = tokens(&exchange(&server, &client, &code, &pkce.verifier).await.1);
    assert_eq!(
        api_status(&server, &old.access).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api_status(&server, &new.access).await.0, StatusCode::OK);
    // Another person through the same client keeps their own grant.
    let (code, pkce) = code_for(&server, &client, ANNA_USERNAME, ANNA_PASSWORD).await;
    let anna = tokens(&exchange(&server, &client, &code, &pkce.verifier).await.1);
    assert_eq!(api_status(&server, &anna.access).await.0, StatusCode::OK);
    assert_eq!(api_status(&server, &new.access).await.0, StatusCode::OK);
    // A refresh token works only for the client it was issued to.
    let other = register(&server).await;
    let (status, body) = refresh(&server, &other, &anna.refresh).await;
    assert_oauth_error(status, &body, "invalid_grant");
}

#[tokio::test]
async fn an_ended_tidsreg_session_ends_the_grant() {
    let server = start().await;
    let (_, tokens) = sign_in(&server, DEMO_USERNAME, DEMO_PASSWORD).await;
    server.controls.expire_sessions();
    let (status, body) = api_status(&server, &tokens.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "tidsreg_session_expired");
    // An OAuth caller cannot call `login`: the words say the sign-in will be asked for.
    let words = body["error"].as_str().unwrap();
    assert!(words.contains("sign in to Tidsreg again"), "{words}");
    assert!(!words.contains("`login`"), "{words}");
    // From now on the token itself is refused, so MCP clients sign the person in again.
    let (status, challenge) = mcp_status(&server, &tokens.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.unwrap().contains("invalid_token"));
}

#[test]
fn serve_prints_the_mcp_url_and_the_static_client_it_stored_but_not_its_secret() {
    let home = tempfile::tempdir().unwrap();
    let served = serve(home.path(), &["--demo", "--port", "0"], &[]);
    let screen = &served.screen;
    let base = local_url(screen);
    for expected in [
        format!("{base}/mcp"),
        "Security and login → Developer mode".to_string(),
        "Add custom connector".to_string(),
        format!("{base}/oauth/authorize"),
        format!("{base}/oauth/token"),
        "Scope              tidsreg".to_string(),
    ] {
        assert!(screen.contains(&expected), "missing {expected}: {screen}");
    }
    let config = std::fs::read_to_string(home.path().join("tidsreg-gpt/config.toml")).unwrap();
    let stored: toml::Value = toml::from_str(&config).unwrap();
    let client = &stored["oauth_client"];
    assert!(screen.contains(client["id"].as_str().unwrap()), "{screen}");
    // Read through a pipe, not a terminal: the secret stays in the config file.
    assert!(
        !screen.contains(client["secret"].as_str().unwrap()),
        "{screen}"
    );
    assert!(screen.contains("under [oauth_client] in"), "{screen}");
    // The real binary's /mcp challenge names its own metadata.
    let response = reqwest::blocking::Client::new()
        .post(format!("{base}/mcp"))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains(&format!("{base}/.well-known/oauth-protected-resource/mcp")),
        "{challenge}"
    );
}

#[tokio::test]
async fn an_oauth_caller_cannot_swap_its_person_through_login() {
    let server = start().await;
    let (_, tokens) = sign_in(&server, ANNA_USERNAME, ANNA_PASSWORD).await;
    let (status, body) = server
        .post_json(
            Some(&tokens.access),
            "/api/login",
            json!({ "username": DEMO_USERNAME, "password": DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("already signed in")
    );
    assert_eq!(api_status(&server, &tokens.access).await.0, StatusCode::OK);
}

/// Registrations from one address past 20 an hour, and from everyone past 1 000 an hour,
/// get a 429 that says when to retry; the clients registered before keep working.
#[tokio::test]
async fn registrations_are_capped_per_address_and_in_total_and_evict_nobody() {
    let server = crate::fixture::start_configured(|config| {
        config.rate_limits = RateLimits {
            per_minute: 0,
            logins_per_minute: 0,
        };
        // Registrations "from" many addresses arrive as a tunnel passes them on.
        config.trusted_proxies = tidsreg_gpt::http::rate_limits::TrustedProxies::loopback();
        // `serve`'s caps, smaller, so the test fills them quickly (the counting is the same).
        config.registration_caps = RegistrationCaps {
            per_address_per_hour: 20,
            total_per_hour: 60,
        };
    })
    .await;
    // Counted in hourly windows: start at the top of one, so the test never straddles two.
    let into_hour = server.clock.unix_ms() % 3_600_000;
    server
        .clock
        .advance(Duration::from_millis(3_600_000 - into_hour));
    let first = register(&server).await;
    let metadata = public_metadata();
    for _ in 0..20 {
        let response = register_as(&server, "192.0.2.1", &metadata).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let refused = register_as(&server, "192.0.2.1", &metadata).await;
    assert_too_many(refused, "from your address").await;
    let other = register_as(&server, "192.0.2.2", &metadata).await;
    assert_eq!(other.status(), StatusCode::CREATED);
    // 22 so far; fill the hour's 60 from addresses under their own cap.
    for n in 22..60 {
        let address = format!("10.0.{}.1", n / 20);
        let response = register_as(&server, &address, &metadata).await;
        assert_eq!(response.status(), StatusCode::CREATED, "registration {n}");
    }
    let refused = register_as(&server, "198.51.100.7", &metadata).await;
    assert_too_many(refused, "on this server").await;
    // Nobody was evicted: the very first client still gets its sign-in page.
    let pkce = pkce();
    let (status, html) = open_page(&authorize_url(&server, &first, &pkce.challenge, "s")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
}

async fn assert_too_many(response: reqwest::Response, whose: &str) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains(whose), "{description}");
    assert!(
        description.contains(&format!("try again in {retry} seconds")),
        "{description}"
    );
}

/// A registration lives an hour until its first token exchange, then the long lifetime: an
/// hour on, the unused client is unknown and the used one still refreshes.
#[tokio::test]
async fn a_client_that_never_signs_in_expires_within_the_hour_a_used_one_stays() {
    let server = start().await;
    let unused = register(&server).await;
    let (used, tokens) = sign_in(&server, DEMO_USERNAME, DEMO_PASSWORD).await;
    server.clock.advance(Duration::from_secs(60 * 60 + 1));
    let pkce = pkce();
    let (status, html) = open_page(&authorize_url(&server, &unused, &pkce.challenge, "s")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("not registered"), "{html}");
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", "x")];
    let (status, body) = token_request(&server, &unused, &refresh).await;
    assert_oauth_error(status, &body, "invalid_client");
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens.refresh.as_str()),
    ];
    let (status, body) = token_request(&server, &used, &refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The sign-in form is refused (403) when the browser says it was posted from another
/// site (`Origin`, `Sec-Fetch-Site`), and accepted from this server's own page.
#[tokio::test]
async fn the_sign_in_form_is_refused_from_other_sites() {
    let server = start().await;
    let client = register(&server).await;
    let pkce = pkce();
    let (_, html) = open_page(&authorize_url(&server, &client, &pkce.challenge, "s1")).await;
    let request = request_id(&html);
    let post = |headers: &[(&'static str, String)]| {
        let mut builder = oauth::http()
            .post(format!("{}/oauth/authorize", server.url))
            .form(&[
                ("request", request.as_str()),
                ("username", DEMO_USERNAME),
                ("password", DEMO_PASSWORD),
            ]);
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        let cookie = oauth::browser_cookie(&request).expect("the page set its cookie");
        builder.header("cookie", cookie).send()
    };
    for refused in [
        vec![("origin", "https://evil.example".to_string())],
        vec![("origin", "null".to_string())],
        vec![("sec-fetch-site", "cross-site".to_string())],
        vec![("sec-fetch-site", "same-site".to_string())],
        vec![
            ("origin", server.url.clone()),
            ("sec-fetch-site", "cross-site".to_string()),
        ],
        vec![
            ("origin", "null".to_string()),
            ("sec-fetch-site", "cross-site".to_string()),
        ],
    ] {
        let response = post(&refused).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{refused:?}");
        assert!(response.text().await.unwrap().contains("another web site"));
    }
    // What a browser sends from our page, whose referrer policy is no-referrer.
    let accepted = vec![
        ("origin", "null".to_string()),
        ("sec-fetch-site", "same-origin".to_string()),
    ];
    let response = post(&accepted).await.unwrap();
    code_from(&response, &client, "s1");
}

/// Registers a confidential client that authenticates with `method`.
async fn register_confidential(server: &TestServer, method: &str) -> Client {
    let mut metadata = oauth::public_metadata();
    metadata["token_endpoint_auth_method"] = json!(method);
    let response = oauth::register_as(server, "192.0.2.1", &metadata).await;
    let (status, body) = into_json(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["token_endpoint_auth_method"], method);
    Client {
        id: body["client_id"].as_str().unwrap().to_string(),
        secret: body["client_secret"].as_str().map(str::to_string),
        redirect_uri: oauth::REDIRECT_URI.to_string(),
    }
}

/// The token endpoint with the client's secret in an HTTP Basic header, not the form.
async fn exchange_with_basic(
    server: &TestServer,
    client: &Client,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        client.id,
        client.secret.as_deref().unwrap()
    ));
    let response = oauth::http()
        .post(format!("{}/oauth/token", server.url))
        .header("authorization", format!("Basic {basic}"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    into_json(response).await
}

#[tokio::test]
async fn a_client_sends_its_secret_only_the_way_it_registered() {
    let server = start().await;
    let basic = register_confidential(&server, "client_secret_basic").await;
    let (code, pkce) = oauth::code_for(&server, &basic, ANNA_USERNAME, ANNA_PASSWORD).await;
    let (status, body) = oauth::exchange(&server, &basic, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, "invalid_client");
    let words = body["error_description"].as_str().unwrap();
    assert!(words.contains("HTTP Basic header"), "{words}");
    let (status, body) = exchange_with_basic(&server, &basic, &code, &pkce.verifier).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused try spent nothing: {body}"
    );

    let post = register_confidential(&server, "client_secret_post").await;
    let (code, pkce) = oauth::code_for(&server, &post, ANNA_USERNAME, ANNA_PASSWORD).await;
    let (status, body) = exchange_with_basic(&server, &post, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, "invalid_client");
    let words = body["error_description"].as_str().unwrap();
    assert!(words.contains("in the form"), "{words}");
    let (status, body) = oauth::exchange(&server, &post, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The sign-in page for a public client registered with `name` and `redirect_uri`.
async fn page_for(server: &TestServer, name: &str, redirect_uri: &str) -> String {
    let mut metadata = public_metadata();
    metadata["client_name"] = json!(name);
    metadata["redirect_uris"] = json!([redirect_uri]);
    let (status, body) = into_json(register_as(server, "192.0.2.9", &metadata).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let client = Client {
        id: body["client_id"].as_str().unwrap().to_string(),
        secret: None,
        redirect_uri: redirect_uri.to_string(),
    };
    let (status, html) = open_page(&authorize_url(server, &client, &pkce().challenge, "s")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    html
}

#[tokio::test]
async fn the_sign_in_page_names_chatgpt_and_claude_only_for_their_own_callbacks() {
    let server = start().await;
    let look_alike = page_for(&server, "ChatGPT", "https://chatgpt.com.evil.example/cb").await;
    assert!(look_alike.contains("(unverified)"), "{look_alike}");
    assert!(
        look_alike.contains("calls itself <strong>“ChatGPT”"),
        "{look_alike}"
    );
    assert!(look_alike.contains("<strong>chatgpt.com.evil.example</strong>"));

    let claude = page_for(
        &server,
        "some name",
        "https://claude.ai/api/mcp/auth_callback",
    )
    .await;
    assert!(
        claude.contains("<strong>Claude</strong> wants to"),
        "{claude}"
    );
    assert!(!claude.contains("(unverified)"), "{claude}");
    assert!(!claude.contains("some name"), "{claude}");
}

#[tokio::test]
async fn a_sign_in_page_can_be_submitted_only_from_the_browser_that_opened_it() {
    let server = start().await;
    let client = register(&server).await;
    let pkce = pkce();
    let url = authorize_url(&server, &client, &pkce.challenge, "s1");
    let response = oauth::http().get(&url).send().await.unwrap();
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/oauth/authorize"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let request = request_id(&response.text().await.unwrap());
    let post = |cookie: Option<String>| {
        let mut builder = oauth::http()
            .post(format!("{}/oauth/authorize", server.url))
            .form(&[
                ("request", request.as_str()),
                ("username", DEMO_USERNAME),
                ("password", DEMO_PASSWORD),
            ]);
        if let Some(cookie) = cookie {
            builder = builder.header("cookie", cookie);
        }
        builder.send()
    };
    let wrong = format!("tgpt_signin_{request}=someone-elses");
    for cookie in [None, Some(wrong)] {
        let response = post(cookie.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{cookie:?}");
        assert!(response.text().await.unwrap().contains("another browser"));
    }
    let mine = set_cookie.split(';').next().unwrap().to_string();
    let response = post(Some(format!("other=1; {mine}"))).await.unwrap();
    code_from(&response, &client, "s1");
    let spent = response.headers()["set-cookie"].to_str().unwrap();
    assert!(spent.contains("Max-Age=0"), "{spent}");
}

/// The `Location` of an authorization response, parsed.
fn location_params(response: &reqwest::Response) -> std::collections::HashMap<String, String> {
    let location = response.headers()[LOCATION].to_str().unwrap();
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test]
async fn authorization_responses_name_the_issuer_and_unknown_scopes_are_refused() {
    let server = start().await;
    let client = register(&server).await;
    let pkce = pkce();
    let (_, html) = open_page(&authorize_url(&server, &client, &pkce.challenge, "s1")).await;
    let response = submit(&server, &request_id(&html), DEMO_USERNAME, DEMO_PASSWORD).await;
    let params = location_params(&response);
    assert!(params.contains_key("code"), "{params:?}");
    assert_eq!(params["iss"], server.url, "RFC 9207");

    let url = authorize_url(&server, &client, &pkce.challenge, "s2")
        .replace("scope=tidsreg", "scope=tidsreg+admin");
    let response = oauth::http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let params = location_params(&response);
    assert_eq!(params["error"], "invalid_scope", "{params:?}");
    assert!(params["error_description"].contains("admin"), "{params:?}");
    assert_eq!(params["state"], "s2");
    assert_eq!(params["iss"], server.url);

    let url = authorize_url(&server, &client, &pkce.challenge, "s3")
        .replace("scope=tidsreg", "scope=tidsreg+offline_access");
    let (status, html) = open_page(&url).await;
    assert_eq!(status, StatusCode::OK, "offline_access is taken: {html}");
}

/// Serves `document` (with `{url}` replaced by the document's own URL) at
/// `http://127.0.0.1:<port>/client-metadata.json`, as a CIMD client publishes its metadata.
async fn serve_client_document(document: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/client-metadata.json",
        listener.local_addr().unwrap()
    );
    let body = document.to_string().replace("{url}", &url);
    let app = axum::Router::new().route(
        "/client-metadata.json",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn a_client_named_by_its_metadata_document_signs_in_without_registering() {
    let server = start_configured(|config| config.client_documents_from_loopback = true).await;
    let (_, auth) = server
        .get(None, "/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(auth["client_id_metadata_document_supported"], true);

    let url = serve_client_document(json!({
        "client_id": "{url}",
        "client_name": "CIMD test app",
        "redirect_uris": [oauth::REDIRECT_URI],
        "token_endpoint_auth_method": "none",
    }))
    .await;
    let client = Client {
        id: url,
        secret: None,
        redirect_uri: oauth::REDIRECT_URI.into(),
    };
    let pkce = pkce();
    let (status, html) = open_page(&authorize_url(&server, &client, &pkce.challenge, "c1")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("CIMD test app"), "{html}");
    let response = submit(&server, &request_id(&html), DEMO_USERNAME, DEMO_PASSWORD).await;
    let code = code_from(&response, &client, "c1");
    let (status, body) = exchange(&server, &client, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(mcp_status(&server, access).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_metadata_document_that_is_not_its_own_url_or_lists_another_redirect_is_refused() {
    let server = start_configured(|config| config.client_documents_from_loopback = true).await;
    let elsewhere = serve_client_document(json!({
        "client_id": "https://claude.ai/oauth/mcp-oauth-client-metadata",
        "redirect_uris": [oauth::REDIRECT_URI],
    }))
    .await;
    let other_redirect = serve_client_document(json!({
        "client_id": "{url}",
        "redirect_uris": ["https://app.example/callback"],
    }))
    .await;
    for (id, words) in [
        (elsewhere, "is not its own URL"),
        (other_redirect, "not one the app registered"),
    ] {
        let client = Client {
            id,
            secret: None,
            redirect_uri: oauth::REDIRECT_URI.into(),
        };
        let (status, html) =
            open_page(&authorize_url(&server, &client, &pkce().challenge, "c")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
        assert!(html.contains(words), "{words}: {html}");
    }
    // Without the test switch, a loopback http document is never fetched.
    let server = start().await;
    let url = serve_client_document(
        json!({"client_id": "{url}", "redirect_uris": [oauth::REDIRECT_URI]}),
    )
    .await;
    let client = Client {
        id: url,
        secret: None,
        redirect_uri: oauth::REDIRECT_URI.into(),
    };
    let (status, html) = open_page(&authorize_url(&server, &client, &pkce().challenge, "c")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("must use https"), "{html}");
}
