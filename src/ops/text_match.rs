//! Matching a person's words against Tidsreg names: case- and accent-insensitive, with the
//! Danish spellings people type on an English keyboard (ae for æ, oe for ø, aa for å), and
//! `&` and punctuation ignored.

/// Lower-case words of `text`, with Danish letters spelled out and other accents dropped.
pub fn words(text: &str) -> Vec<String> {
    fold(text).split_whitespace().map(str::to_owned).collect()
}

/// `text` lower-cased, æ/ø/å spelled ae/oe/aa, accents dropped, punctuation as spaces.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'æ' | 'ä' => out.push_str("ae"),
            'ø' | 'ö' => out.push_str("oe"),
            'å' => out.push_str("aa"),
            'ü' => out.push_str("ue"),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'á' | 'à' | 'â' => out.push('a'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            'ó' | 'ò' | 'ô' => out.push('o'),
            'ú' | 'ù' | 'û' => out.push('u'),
            c if c.is_alphanumeric() => out.push(c),
            _ => out.push(' '),
        }
    }
    out
}

/// How well one query word matches a name's words: whole word, prefix, inside a word.
pub fn word_score(query_word: &str, name_words: &[String]) -> u32 {
    name_words
        .iter()
        .map(|w| {
            if w == query_word {
                WHOLE_WORD
            } else if w.starts_with(query_word) {
                PREFIX
            } else if w.contains(query_word) {
                INSIDE
            } else {
                0
            }
        })
        .max()
        .unwrap_or(0)
}

/// A query word equal to a word of the name.
pub const WHOLE_WORD: u32 = 10;
/// A query word that starts a word of the name.
pub const PREFIX: u32 = 6;
/// A query word found inside a word of the name.
pub const INSIDE: u32 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_letters_match_their_spelled_out_forms() {
        assert_eq!(fold("Ærø Fødevarer"), "aeroe foedevarer");
        assert_eq!(words("Åbenrå"), words("aabenraa"));
        assert_eq!(words("Smith & Sønner"), vec!["smith", "soenner"]);
        assert_eq!(words("\"Quoted\" Consulting"), vec!["quoted", "consulting"]);
        assert_eq!(fold("Café"), "cafe");
    }

    #[test]
    fn whole_words_beat_prefixes_beat_substrings() {
        let name = words("Udvikling af rapporter");
        assert_eq!(word_score("udvikling", &name), WHOLE_WORD);
        assert_eq!(word_score("udvik", &name), PREFIX);
        assert_eq!(word_score("port", &name), INSIDE);
        assert_eq!(word_score("møder", &name), 0);
    }
}
