//! What a person types into the GPT editor: name, description, instructions and
//! conversation starters, in French (the default, like the original guide) or English.
//! The texts live in `assets/gpt/*.toml` and are embedded in the binary.

use std::fmt::Write as _;

/// Most characters in the GPT's name. Not stated in OpenAI's help pages we could find; a
/// third-party GPT builder guide gives 50, so we hold to that conservative value.
pub const MAX_NAME_CHARS: usize = 50;

/// Most characters in the GPT's description. Not found in OpenAI's help pages; third-party
/// GPT builder guides agree on 300, the same as an Action's operation descriptions.
pub const MAX_DESCRIPTION_CHARS: usize = 300;

/// Most characters in the GPT's instructions: 8,000, as reported by GPT-building guides
/// (e.g. findskill.ai, "How Custom Instructions Work": "ChatGPT Custom GPTs: 8,000 chars").
/// OpenAI's help page "Creating and editing GPTs" did not state it in the copy we read.
pub const MAX_INSTRUCTIONS_CHARS: usize = 8_000;

/// Most conversation starters. ChatGPT shows four under a GPT's name and builder guides
/// say "4 items"; whether the editor accepts more is unconfirmed, so we keep to four.
pub const MAX_CONVERSATION_STARTERS: usize = 4;

const FR_TOML: &str = include_str!("../../assets/gpt/fr.toml");
const EN_TOML: &str = include_str!("../../assets/gpt/en.toml");

pub use crate::settings::cli::Lang;

/// The fields of the GPT editor's Configure tab.
#[derive(Debug, serde::Deserialize)]
pub struct GptConfig {
    pub name: String,
    pub description: String,
    pub instructions: String,
    pub conversation_starters: Vec<String>,
}

/// The embedded texts for `lang`.
/// Prints the texts for the GPT editor in `lang`.
pub fn run(lang: Lang) -> anyhow::Result<()> {
    print!("{}", render_text(&load(lang)));
    Ok(())
}

/// The GPT editor's texts in `lang`.
pub fn load(lang: Lang) -> GptConfig {
    let (file, text) = match lang {
        Lang::Fr => ("fr.toml", FR_TOML),
        Lang::En => ("en.toml", EN_TOML),
    };
    // Both files are embedded at build time and parsed by a unit test, so this cannot fail
    // in a released binary.
    toml::from_str(text).unwrap_or_else(|err| panic!("assets/gpt/{file} is not valid: {err}"))
}

/// A screen a person copies field by field into the GPT editor.
pub fn render_text(cfg: &GptConfig) -> String {
    let mut out = String::from(
        "In ChatGPT, open GPTs > Create > Configure and copy each field below into the editor.\n",
    );
    let mut section = |title: &str, body: &str| {
        let _ = write!(out, "\n== {title} ==\n{}\n", body.trim());
    };
    section("Name", &cfg.name);
    section("Description", &cfg.description);
    section("Instructions", &cfg.instructions);
    let starters: Vec<String> = cfg
        .conversation_starters
        .iter()
        .map(|starter| format!("- {starter}"))
        .collect();
    section("Conversation starters (one per box)", &starters.join("\n"));
    out
}

/// What in `cfg` the GPT editor would refuse; empty when everything fits.
pub fn check_limits(cfg: &GptConfig) -> Vec<String> {
    let mut problems = Vec::new();
    let fields = [
        ("name", &cfg.name, MAX_NAME_CHARS),
        ("description", &cfg.description, MAX_DESCRIPTION_CHARS),
        ("instructions", &cfg.instructions, MAX_INSTRUCTIONS_CHARS),
    ];
    for (field, text, max) in fields {
        let count = text.trim().chars().count();
        if count == 0 {
            problems.push(format!("{field}: empty; write one"));
        } else if count > max {
            problems.push(format!(
                "{field}: {count} characters; the GPT editor allows at most {max}, so shorten it"
            ));
        }
    }
    let starters = cfg.conversation_starters.len();
    if starters > MAX_CONVERSATION_STARTERS {
        problems.push(format!(
            "conversation starters: {starters}; keep at most {MAX_CONVERSATION_STARTERS}"
        ));
    }
    if cfg
        .conversation_starters
        .iter()
        .any(|s| s.trim().is_empty())
    {
        problems.push("conversation starters: one is empty; remove it or write it".to_owned());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const LANGS: [Lang; 2] = [Lang::Fr, Lang::En];

    #[test]
    fn french_is_the_default() {
        assert_eq!(Lang::default(), Lang::Fr);
    }

    #[test]
    fn both_languages_load_within_the_editor_limits() {
        for lang in LANGS {
            let cfg = load(lang);
            assert_eq!(check_limits(&cfg), Vec::<String>::new(), "{lang:?}");
            assert!(!cfg.conversation_starters.is_empty(), "{lang:?}");
        }
    }

    #[test]
    fn instructions_name_the_operations_and_codes_of_the_schema() {
        let schema = crate::schema::TEMPLATE;
        for lang in LANGS {
            let instructions = load(lang).instructions;
            for word in [
                "login",
                "listCustomers",
                "listProjects",
                "listPhases",
                "listActivities",
                "listKinds",
                "copyWeek",
                "registerHoursBatch",
                "tidsreg_login_required",
                "tidsreg_session_expired",
                "tidsreg_login_rejected",
                "upstream_timeout",
            ] {
                assert!(
                    instructions.contains(&format!("`{word}`")),
                    "{lang:?} lacks {word}"
                );
                assert!(schema.contains(word), "the schema lacks {word}");
            }
            // Not in the schema yet; the instructions already say how to use them.
            for word in ["getHours", "registerHours", "search"] {
                assert!(
                    instructions.contains(&format!("`{word}`")),
                    "{lang:?} lacks {word}"
                );
            }
        }
    }

    #[test]
    fn render_text_contains_every_field() {
        for lang in LANGS {
            let cfg = load(lang);
            let text = render_text(&cfg);
            for heading in [
                "Name",
                "Description",
                "Instructions",
                "Conversation starters",
            ] {
                assert!(
                    text.contains(&format!("== {heading}")),
                    "{lang:?} lacks {heading}"
                );
            }
            assert!(text.contains(&cfg.name));
            assert!(text.contains(&cfg.description));
            assert!(text.contains(cfg.instructions.trim()));
            for starter in &cfg.conversation_starters {
                assert!(text.contains(starter.as_str()), "{lang:?} lacks {starter}");
            }
        }
    }

    #[test]
    fn check_limits_reports_what_is_too_long() {
        let cfg = GptConfig {
            name: "n".repeat(MAX_NAME_CHARS + 1),
            description: "d".repeat(MAX_DESCRIPTION_CHARS + 1),
            instructions: "é".repeat(MAX_INSTRUCTIONS_CHARS + 1),
            conversation_starters: vec!["?".to_owned(); MAX_CONVERSATION_STARTERS + 1],
        };
        let problems = check_limits(&cfg);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(
            problems[2].contains("instructions: 8001 characters"),
            "{}",
            problems[2]
        );
        let fits = GptConfig {
            instructions: "é".repeat(MAX_INSTRUCTIONS_CHARS),
            ..load(Lang::En)
        };
        assert!(check_limits(&fits).is_empty());
    }
}
