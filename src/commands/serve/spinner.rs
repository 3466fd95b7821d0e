//! Progress on slow steps, on standard error, and only when it is a terminal (indicatif
//! hides itself otherwise), so logs and piped output stay clean.

use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

/// Ticks often enough to look alive, rarely enough to cost nothing.
const SPINNER_TICK: Duration = Duration::from_millis(100);

/// A spinner with `message`, ticking until finished.
pub fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style);
    }
    bar.set_message(message.to_string());
    bar.enable_steady_tick(SPINNER_TICK);
    bar
}
