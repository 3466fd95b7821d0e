//! Conveniences on the user's desktop: the clipboard and the browser. Both are best effort:
//! on a headless machine or over SSH they say so in one line, and `serve` carries on.

/// The page where a custom GPT's Actions are edited.
pub const GPT_EDITOR_URL: &str = "https://chatgpt.com/gpts/editor";

/// Copies `text`, answering a line for the screen either way.
pub fn copy_to_clipboard(text: &str) -> String {
    match try_copy(text) {
        Ok(()) => "copied to the clipboard".into(),
        Err(why) => format!("not copied: no clipboard here ({why})"),
    }
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

/// Opens the GPT editor, answering a line for the screen either way.
pub fn open_gpt_editor() -> String {
    match open::that_detached(GPT_EDITOR_URL) {
        Ok(()) => format!("opened {GPT_EDITOR_URL} in your browser"),
        Err(e) => format!("open {GPT_EDITOR_URL} in your browser (could not start one: {e})"),
    }
}
