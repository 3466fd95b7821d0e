//! Settings precedence (flag > env > file > default), `init`, `gpt` and completions, through
//! the real binary.

use predicates::prelude::*;

use crate::fixture::binary::cli as bin;

fn config_line(output: &[u8], name: &str) -> String {
    String::from_utf8_lossy(output)
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} line"))
        .to_string()
}

#[test]
fn flags_beat_environment_beats_file_beats_default() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tidsreg-gpt");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "port = 9001\nngrok_authtoken = \"file-token-secret\"\n",
    )
    .unwrap();

    let out = bin(home.path()).arg("config").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(config_line(&out.stdout, "port").contains("9001"));
    assert!(config_line(&out.stdout, "port").contains("(config file)"));
    assert!(config_line(&out.stdout, "host").contains("(default)"));
    assert!(config_line(&out.stdout, "authtoken").contains("(redacted)"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("file-token-secret"));

    let out = bin(home.path())
        .arg("config")
        .env("PORT", "9002")
        .output()
        .unwrap();
    assert!(config_line(&out.stdout, "port").contains("9002"));
    assert!(config_line(&out.stdout, "port").contains("(environment)"));

    let out = bin(home.path())
        .args(["config", "--port", "9003"])
        .env("PORT", "9002")
        .output()
        .unwrap();
    assert!(config_line(&out.stdout, "port").contains("9003"));
    assert!(config_line(&out.stdout, "port").contains("(flag)"));
}

#[test]
fn a_broken_config_file_is_named_in_the_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tidsreg-gpt");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "port = \"eighty\"").unwrap();
    bin(home.path())
        .arg("config")
        .assert()
        .failure()
        .stderr(predicate::str::contains("config.toml"))
        .stderr(predicate::str::contains("fix or delete it"));
}

#[test]
fn init_writes_a_private_config_from_the_answers() {
    let home = tempfile::tempdir().unwrap();
    bin(home.path())
        .arg("init")
        .write_stdin("tok_123\nhttps://tidsreg.example.org\nmy-gpt.ngrok.app\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("tidsreg-gpt serve"));
    let path = home.path().join("tidsreg-gpt/config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("ngrok_authtoken = \"tok_123\""), "{text}");
    assert!(
        text.contains("tidsreg_url = \"https://tidsreg.example.org\""),
        "{text}"
    );
    assert!(text.contains("domain = \"my-gpt.ngrok.app\""), "{text}");
    assert!(text.contains("[[api_keys]]"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Enter keeps what is stored.
    bin(home.path())
        .arg("init")
        .write_stdin("\n\n\n")
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn gpt_prints_the_editor_fields_in_both_languages() {
    let home = tempfile::tempdir().unwrap();
    for (lang, word) in [("fr", "Instructions"), ("en", "Instructions")] {
        bin(home.path())
            .args(["gpt", "--lang", lang])
            .assert()
            .success()
            .stdout(predicate::str::contains(word))
            .stdout(predicate::str::contains("login"));
    }
    let fr = bin(home.path()).arg("gpt").output().unwrap().stdout;
    let en = bin(home.path())
        .args(["gpt", "--lang", "en"])
        .output()
        .unwrap()
        .stdout;
    assert_ne!(fr, en, "French is the default and differs from English");
}

#[test]
fn schema_check_catches_a_too_long_description() {
    let home = tempfile::tempdir().unwrap();
    bin(home.path())
        .args(["schema", "--url", "https://x.example", "--check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("schema OK"));
    let long = "x".repeat(301);
    let template = tidsreg_gpt::schema::TEMPLATE.replacen(
        "summary: List the customers the user can register hours on",
        &format!("summary: {long}"),
        1,
    );
    assert_ne!(
        template,
        tidsreg_gpt::schema::TEMPLATE,
        "the summary to lengthen exists"
    );
    let path = home.path().join("template.yaml");
    std::fs::write(&path, template).unwrap();
    bin(home.path())
        .args([
            "schema",
            "--url",
            "https://x.example",
            "--check",
            "--template",
        ])
        .arg(&path)
        .assert()
        .failure()
        .stdout(predicate::str::contains("301"))
        .stdout(predicate::str::contains("300"));
}

#[test]
fn schema_check_warns_on_http() {
    let home = tempfile::tempdir().unwrap();
    bin(home.path())
        .args(["schema", "--url", "http://127.0.0.1:8000", "--check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("warning"))
        .stdout(predicate::str::contains("https"));
}

#[test]
fn completions_are_generated() {
    let home = tempfile::tempdir().unwrap();
    bin(home.path())
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("tidsreg-gpt"));
}

/// A short API key, from the environment or the config file, stops `serve` and `config`
/// with words that say how to make a good one, and never echo the key.
#[test]
fn api_keys_shorter_than_32_characters_are_refused() {
    let short = "tgpt_too-short-0123456789abcdef"; // 31 characters
    let long = "tgpt_long-enough-0123456789abcde"; // 32 characters
    assert_eq!(short.len(), 31);
    assert_eq!(long.len(), 32);
    let home = tempfile::tempdir().unwrap();
    let refused = |command: &[&str], env: Option<&str>| {
        let mut cmd = bin(home.path());
        // A `serve` that wrongly starts is stopped rather than hanging the test.
        cmd.args(command)
            .timeout(std::time::Duration::from_secs(20));
        if let Some(key) = env {
            cmd.env("TIDSREG_GPT_API_KEY", key);
        }
        cmd.assert()
            .failure()
            .stderr(predicate::str::contains("too short"))
            .stderr(predicate::str::contains("at least 32"))
            .stderr(predicate::str::contains("tidsreg-gpt key add NAME"))
            .stderr(predicate::str::contains(short).not());
    };
    let serve = ["serve", "--demo", "--port", "0", "--tunnel", "none"];
    refused(&serve, Some(short));
    refused(&["config"], Some(short));
    bin(home.path())
        .arg("config")
        .env("TIDSREG_GPT_API_KEY", long)
        .assert()
        .success();

    let dir = home.path().join("tidsreg-gpt");
    std::fs::create_dir_all(&dir).unwrap();
    let file = |key: &str| format!("[[api_keys]]\nid = \"laptop\"\nkey = \"{key}\"\n");
    std::fs::write(dir.join("config.toml"), file(short)).unwrap();
    refused(&serve, None);
    refused(&["config"], None);
    std::fs::write(dir.join("config.toml"), file(long)).unwrap();
    bin(home.path()).arg("config").assert().success();
}
