//! The tunnel's offline behaviour: no test here reaches the internet. Failures must come
//! quickly, say what to do, and leave the local server answering.

use std::net::TcpListener;
use std::time::Duration;

use crate::fixture::binary::{cli, local_url, serve};

/// Asserts the local server answers its health check, over real HTTP.
fn assert_local_server_answers(screen: &str) {
    let health: serde_json::Value = reqwest::blocking::get(format!("{}/health", local_url(screen)))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["status"], "ok");
}

fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn unreachable_ngrok_service_is_reported_and_the_server_keeps_serving() {
    let home = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", closed_port());
    let served = serve(
        home.path(),
        &["--demo", "--port", "0", "--ngrok-server-addr", &addr],
        &[("NGROK_AUTHTOKEN", "not-a-real-token")],
    );
    assert!(
        served.ready_after < Duration::from_secs(15),
        "{:?}",
        served.ready_after
    );
    assert!(
        served.screen.contains("ngrok tunnel did not open"),
        "{}",
        served.screen
    );
    assert!(served.screen.contains("refused"), "{}", served.screen);
    assert!(
        served.screen.contains("--tunnel none --public-url"),
        "{}",
        served.screen
    );
    assert!(
        !served.screen.contains("not-a-real-token"),
        "the token is never printed"
    );
    assert_local_server_answers(&served.screen);
}

/// The budget is the setting's (`--tunnel-timeout`, 10 s by default); a short one here keeps
/// the suite from waiting on the clock for what the default would show the same way.
#[test]
fn a_silent_ngrok_service_times_out_within_its_budget() {
    let home = tempfile::tempdir().unwrap();
    // Accepts connections and never says a word, like a black-holed ingress.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming() {
            held.push(stream);
        }
    });
    let served = serve(
        home.path(),
        &[
            "--demo",
            "--port",
            "0",
            "--tunnel",
            "ngrok",
            "--ngrok-server-addr",
            &addr,
            "--tunnel-timeout",
            "2",
        ],
        &[("NGROK_AUTHTOKEN", "not-a-real-token")],
    );
    assert!(
        served.ready_after < Duration::from_secs(10),
        "{:?}",
        served.ready_after
    );
    assert!(
        served.screen.contains("ngrok tunnel did not open"),
        "{}",
        served.screen
    );
    assert!(
        served.screen.contains("did not answer"),
        "{}",
        served.screen
    );
    assert_local_server_answers(&served.screen);
}

#[test]
fn without_a_token_serve_runs_locally_and_says_where_to_get_one() {
    let home = tempfile::tempdir().unwrap();
    let served = serve(home.path(), &["--demo", "--port", "0"], &[]);
    assert!(
        served.screen.contains("No ngrok authtoken"),
        "{}",
        served.screen
    );
    assert!(
        served.screen.contains(tidsreg_gpt::tunnel::AUTHTOKEN_URL),
        "{}",
        served.screen
    );
    assert_local_server_answers(&served.screen);
}

#[test]
fn asking_for_ngrok_without_a_token_fails_with_the_fix() {
    let home = tempfile::tempdir().unwrap();
    let output = cli(home.path())
        .args(["serve", "--demo", "--port", "0", "--tunnel", "ngrok"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs an ngrok authtoken"), "{stderr}");
    assert!(
        stderr.contains(tidsreg_gpt::tunnel::AUTHTOKEN_URL),
        "{stderr}"
    );
    assert!(stderr.contains("NGROK_AUTHTOKEN"), "{stderr}");
}

#[test]
fn port_from_the_environment_is_honoured() {
    let home = tempfile::tempdir().unwrap();
    let port = closed_port().to_string();
    let served = serve(home.path(), &["--demo"], &[("PORT", &port)]);
    assert!(
        local_url(&served.screen).ends_with(&format!(":{port}")),
        "{}",
        served.screen
    );
    assert_local_server_answers(&served.screen);
}
