//! Conveniences on the user's desktop: the clipboard and the browser. Both are best effort:
//! on a headless machine or over SSH they say so in one plain line, and `serve` carries on.

/// The page where a custom GPT's Actions are edited.
pub const GPT_EDITOR_URL: &str = "https://chatgpt.com/gpts/editor";

/// Copies `text`, answering a few plain words for the screen either way. A failure's own
/// text (an X11 or Wayland error) goes to the debug log, never to the screen.
pub fn copy_to_clipboard(text: &str) -> String {
    if no_display() {
        return "could not copy it to the clipboard (no display)".into();
    }
    match try_copy(text) {
        Ok(()) => "copied to the clipboard".into(),
        Err(why) => {
            tracing::debug!(error = %why, "clipboard");
            "could not copy it to the clipboard (none answered)".into()
        }
    }
}

/// True where a clipboard needs a display server (X11 or Wayland) and none is named: asking
/// would only fail, with an error meant for developers.
fn no_display() -> bool {
    let unix_desktop = cfg!(unix) && !cfg!(target_os = "macos");
    let named = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    unix_desktop && !named("DISPLAY") && !named("WAYLAND_DISPLAY")
}

#[cfg(feature = "clipboard")]
fn try_copy(text: &str) -> Result<(), String> {
    let mut clipboard = arboard::Clipboard::new().map_err(|e| e.to_string())?;
    clipboard.set_text(text).map_err(|e| e.to_string())
}

#[cfg(not(feature = "clipboard"))]
fn try_copy(_text: &str) -> Result<(), String> {
    Err("built without the clipboard feature".into())
}

/// Whether `serve` opens the GPT editor: only when asked (no `--no-open`), on a terminal, and
/// when a public URL exists (a tunnel or `--public-url`): with only a local URL ChatGPT
/// cannot reach us, so the editor could do nothing with the schema.
pub fn opens_gpt_editor(open_browser: bool, on_terminal: bool, reachable: bool) -> bool {
    open_browser && on_terminal && reachable
}

/// Opens the GPT editor, answering a line for the screen either way.
pub fn open_gpt_editor() -> String {
    match open::that_detached(GPT_EDITOR_URL) {
        Ok(()) => format!("opened {GPT_EDITOR_URL} in your browser"),
        Err(e) => {
            tracing::debug!(error = %e, "browser");
            format!("open {GPT_EDITOR_URL} in your browser (none could be started here)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gpt_editor_opens_only_with_a_public_url_on_a_terminal() {
        assert!(opens_gpt_editor(true, true, true));
        assert!(!opens_gpt_editor(true, true, false), "no public URL");
        assert!(!opens_gpt_editor(true, false, true), "not a terminal");
        assert!(!opens_gpt_editor(false, true, true), "--no-open");
    }
}
