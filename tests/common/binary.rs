//! The real binary as a person runs it: `serve` on port 0 with a private config dir, read
//! until its ready line.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `serve` as a person runs it, on port 0 with a private config dir.
pub struct Served {
    pub child: Child,
    pub screen: String,
    /// When the ready line arrived, counted from the start of the process.
    pub ready_after: Duration,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Settings a developer's shell may carry that would change what a test sees.
pub const HERMETIC: &[&str] = &[
    "TIDSREG_GPT_API_KEY",
    "TIDSREG_GPT_OAUTH_CLIENT_ID",
    "TIDSREG_GPT_OAUTH_CLIENT_SECRET",
    "TIDSREG_GPT_CONFIG",
    "TIDSREG_GPT_HOST",
    "TIDSREG_GPT_PUBLIC_URL",
    "TIDSREG_GPT_TUNNEL",
    "TIDSREG_URL",
    "PORT",
    "NGROK_AUTHTOKEN",
    "NGROK_DOMAIN",
    "NGROK_SERVER_ADDR",
];

/// The binary as a one-shot command, with no setting from the developer's shell and its
/// config in `home`.
pub fn cli(home: &std::path::Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_tidsreg-gpt"));
    for name in HERMETIC {
        command.env_remove(name);
    }
    command.env("XDG_CONFIG_HOME", home).env("HOME", home);
    command
}

pub fn serve(config_home: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Served {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tidsreg-gpt"));
    command
        .arg("serve")
        .args(args)
        .env("XDG_CONFIG_HOME", config_home)
        .env("HOME", config_home)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for name in HERMETIC {
        command.env_remove(name);
    }
    command.stdout(Stdio::piped()).stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let started = Instant::now();
    let mut screen = String::new();
    let mut lines = BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        screen.push_str(&line);
        screen.push('\n');
        if line == tidsreg_gpt::serve::READY_LINE {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no ready line: {screen}"
        );
    }
    assert!(
        screen.contains(tidsreg_gpt::serve::READY_LINE),
        "no ready line: {screen}"
    );
    Served {
        child,
        screen,
        ready_after: started.elapsed(),
    }
}

pub fn local_url(screen: &str) -> String {
    screen
        .lines()
        .find_map(|l| l.trim().strip_prefix("Local URL"))
        .unwrap()
        .trim()
        .to_string()
}
