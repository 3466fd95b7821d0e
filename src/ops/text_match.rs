//! Matching a person's words against Tidsreg names, the way search engines do it
//! (Meilisearch, Typesense): case and accents ignored, Danish letters in either spelling,
//! a typo or two in longer words, and words written joined or split.
//!
//! Every word is kept in two spellings, because people type æ, ø and å both ways on an
//! English keyboard: the *long* one spells them out (`ae`, `oe`, `aa`) and the *short* one
//! drops them to one letter (`a`, `o`, `a`). `kobmand` and `koebmand` both find
//! "Købmand". Every other accent is dropped by `deunicode`'s transliteration, so no table
//! here grows with the alphabet.

/// A query word equal to a word of the name.
pub const WHOLE_WORD: u32 = 10;
/// A query word equal to adjacent words of the name written together (`datamodel` for
/// "Data-model", `dangelo` for "D'Angelo"), or two query words written apart for one word.
pub const JOINED: u32 = 9;
/// A query word that starts a word of the name.
pub const PREFIX: u32 = 6;
/// A query word one or two typing mistakes away from a word of the name.
pub const FUZZY: u32 = 4;
/// The last query word, with a typo, starting a word of the name (still being typed).
pub const FUZZY_PREFIX: u32 = 3;
/// A query word found inside a word of the name.
pub const INSIDE: u32 = 2;

/// Shortest query word that may match inside a word: shorter ones match almost anything.
const MIN_INSIDE_LEN: usize = 3;
/// Shortest word that may have one typo, and shortest that may have two (Meilisearch's and
/// Typesense's defaults).
const ONE_TYPO_LEN: usize = 5;
const TWO_TYPOS_LEN: usize = 9;
/// Most adjacent name words compared as one written-together word.
const MAX_JOINED_WORDS: usize = 3;

/// How one query word matched: the strength, and whether it took typo tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordMatch {
    pub score: u32,
    pub fuzzy: bool,
}

impl WordMatch {
    /// Exact kinds first, then by strength: a fuzzy match never beats an exact one.
    fn key(self) -> (bool, u32) {
        (!self.fuzzy, self.score)
    }

    /// The better of two matches.
    pub fn best(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.key() > a.key() { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// One word in both spellings (equal when it holds no æ, ø or å).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    long: String,
    short: String,
}

impl Word {
    /// The spellings to compare: long with long, short with short.
    fn pairs<'a>(&'a self, other: &'a Word) -> impl Iterator<Item = (&'a str, &'a str)> {
        let long = (self.long.as_str(), other.long.as_str());
        let short = (self.short.as_str(), other.short.as_str());
        std::iter::once(long).chain((short != long).then_some(short))
    }

    fn joined(words: &[Word]) -> Word {
        Word {
            long: words.iter().map(|w| w.long.as_str()).collect(),
            short: words.iter().map(|w| w.short.as_str()).collect(),
        }
    }
}

/// A name prepared for matching: its words, and its adjacent words written together.
#[derive(Debug, Clone)]
pub struct Name {
    words: Vec<Word>,
    joined: Vec<Word>,
    folded: String,
}

impl Name {
    /// `name` split into words in both spellings.
    pub fn new(name: &str) -> Self {
        let words = words_of(name);
        let mut joined = Vec::new();
        for n in 2..=MAX_JOINED_WORDS {
            joined.extend(words.windows(n).map(Word::joined));
        }
        let folded = fold(name);
        Self {
            words,
            joined,
            folded,
        }
    }
}

/// What a person typed, prepared for matching.
#[derive(Debug, Clone)]
pub struct Query {
    words: Vec<Word>,
    /// Each two adjacent query words written together, for names that write them as one.
    pairs: Vec<Word>,
    folded: String,
}

impl Query {
    /// The words of `q`; `None` when it holds no letter or digit.
    pub fn new(q: &str) -> Option<Self> {
        let words = words_of(q);
        if words.is_empty() {
            return None;
        }
        let pairs = words.windows(2).map(Word::joined).collect();
        Some(Self {
            folded: fold(q),
            words,
            pairs,
        })
    }

    /// How many words the query has.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// The query's words as the person typed them, folded (for "missing" lists).
    pub fn word(&self, i: usize) -> &str {
        &self.words[i].long
    }

    /// True when `name` is the whole query, word for word (an exact name).
    pub fn is_whole_name(&self, name: &Name) -> bool {
        name.folded == self.folded
    }

    /// How each query word matches `name` (`None`: not at all).
    pub fn match_name(&self, name: &Name) -> Vec<Option<WordMatch>> {
        let last = self.words.len() - 1;
        let mut matches: Vec<Option<WordMatch>> = self
            .words
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let alone = name
                    .words
                    .iter()
                    .map(|w| compare(word, w, i == last, WHOLE_WORD))
                    .fold(None, WordMatch::best);
                let joined = name
                    .joined
                    .iter()
                    .map(|w| compare(word, w, i == last, JOINED))
                    .filter(|m| m.is_some_and(|m| m.score != INSIDE))
                    .fold(None, WordMatch::best);
                WordMatch::best(alone, joined)
            })
            .collect();
        // Two query words written apart for one word of the name ("data model").
        for (i, pair) in self.pairs.iter().enumerate() {
            let together = name
                .words
                .iter()
                .map(|w| compare(pair, w, i + 1 == last, JOINED))
                .filter(|m| m.is_some_and(|m| m.score != INSIDE))
                .fold(None, WordMatch::best)
                .map(|m| WordMatch {
                    score: m.score.min(JOINED),
                    ..m
                });
            for slot in &mut matches[i..=i + 1] {
                *slot = WordMatch::best(*slot, together);
            }
        }
        matches
    }
}

/// How `query` matches one name word (or joined words) `word`: `whole` when equal.
fn compare(query: &Word, word: &Word, last: bool, whole: u32) -> Option<WordMatch> {
    query
        .pairs(word)
        .map(|(q, w)| compare_spelling(q, w, last, whole))
        .fold(None, WordMatch::best)
}

fn compare_spelling(q: &str, w: &str, last: bool, whole: u32) -> Option<WordMatch> {
    let exact = |score| {
        Some(WordMatch {
            score,
            fuzzy: false,
        })
    };
    if q == w {
        return exact(whole);
    }
    if w.starts_with(q) {
        return exact(PREFIX);
    }
    if q.len() >= MIN_INSIDE_LEN && w.contains(q) {
        return exact(INSIDE);
    }
    let typos = typos_allowed(q.len());
    if typos == 0 || q.as_bytes().first() != w.as_bytes().first() {
        return None;
    }
    let fuzzy = |score| Some(WordMatch { score, fuzzy: true });
    if q.len().abs_diff(w.len()) <= typos && strsim::osa_distance(q, w) <= typos {
        return fuzzy(FUZZY);
    }
    // The last word may still be being typed: a typo in the start of a longer word.
    if last && w.len() > q.len() {
        let shortest = q.len().saturating_sub(typos).max(1);
        let longest = (q.len() + typos).min(w.len() - 1);
        // Words are ASCII after folding, so any byte offset is a character boundary.
        let near = (shortest..=longest).any(|n| strsim::osa_distance(q, &w[..n]) <= typos);
        if near {
            return fuzzy(FUZZY_PREFIX);
        }
    }
    None
}

/// Typos a query word of `len` letters may have.
fn typos_allowed(len: usize) -> usize {
    match len {
        n if n >= TWO_TYPOS_LEN => 2,
        n if n >= ONE_TYPO_LEN => 1,
        _ => 0,
    }
}

/// The words of `text` in both spellings: lower case, ASCII letters and digits only.
fn words_of(text: &str) -> Vec<Word> {
    let long = fold(text);
    let short = fold_short(text);
    let long: Vec<&str> = long.split_whitespace().collect();
    let short: Vec<&str> = short.split_whitespace().collect();
    if long.len() == short.len() {
        long.iter()
            .zip(&short)
            .map(|(l, s)| Word {
                long: (*l).to_owned(),
                short: (*s).to_owned(),
            })
            .collect()
    } else {
        // Transliteration split a word differently; the long spelling alone is safe.
        long.iter()
            .map(|l| Word {
                long: (*l).to_owned(),
                short: (*l).to_owned(),
            })
            .collect()
    }
}

/// `text` lower-cased, æ/ø/å spelled out ae/oe/aa, other letters transliterated to ASCII,
/// everything but letters and digits as spaces.
pub fn fold(text: &str) -> String {
    let lower = text.to_lowercase();
    let spelled = lower
        .replace('æ', "ae")
        .replace('ø', "oe")
        .replace('å', "aa");
    ascii_words(&deunicode::deunicode(&spelled))
}

/// Like [`fold`], with æ/ø/å as one plain letter each (what `deunicode` makes of them,
/// bar æ, which people drop to `a`).
fn fold_short(text: &str) -> String {
    let lower = text.to_lowercase().replace('æ', "a");
    ascii_words(&deunicode::deunicode(&lower))
}

fn ascii_words(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn best(q: &str, name: &str) -> Vec<Option<WordMatch>> {
        Query::new(q).unwrap().match_name(&Name::new(name))
    }

    fn score(q: &str, name: &str) -> Option<(u32, bool)> {
        let matches = best(q, name);
        assert_eq!(matches.len(), 1, "{q}");
        matches[0].map(|m| (m.score, m.fuzzy))
    }

    #[test]
    fn danish_letters_match_both_spellings_and_other_accents_drop() {
        assert_eq!(fold("Ærø Fødevarer"), "aeroe foedevarer");
        assert_eq!(fold("Smith & Sønner"), "smith   soenner");
        assert_eq!(fold("Café Zürich"), "cafe zurich");
        for typed in ["kobmand", "koebmand", "købmand", "KØBMAND"] {
            assert_eq!(
                score(typed, "Købmand"),
                Some((WHOLE_WORD, false)),
                "{typed}"
            );
        }
        assert_eq!(score("sogning", "Søgning"), Some((WHOLE_WORD, false)));
        assert_eq!(score("abenra", "Åbenrå"), Some((WHOLE_WORD, false)));
        assert_eq!(score("aabenraa", "Åbenrå"), Some((WHOLE_WORD, false)));
        assert_eq!(score("laering", "Læring"), Some((WHOLE_WORD, false)));
        assert_eq!(score("laring", "Læring"), Some((WHOLE_WORD, false)));
        assert_eq!(score("cafe", "Café"), Some((WHOLE_WORD, false)));
    }

    #[test]
    fn longer_words_allow_typos_with_the_first_letter_right() {
        assert_eq!(score("regnskav", "Regnskab"), Some((FUZZY, true)));
        assert_eq!(score("integratoin", "Integration"), Some((FUZZY, true)));
        assert_eq!(
            score("projekledelse", "Projektledelse"),
            Some((FUZZY, true))
        );
        assert_eq!(
            score("projektsledelse", "Projektledelse"),
            Some((FUZZY, true))
        );
        assert_eq!(
            score("intgeratoin", "Integration"),
            Some((FUZZY, true)),
            "two"
        );
        assert_eq!(score("moder", "Møder"), Some((WHOLE_WORD, false)));
        assert_eq!(
            score("mdoer", "Møder"),
            Some((FUZZY, true)),
            "5 letters: one"
        );
        assert_eq!(score("test", "Tekst"), None, "4 letters: none");
        assert_eq!(score("eegnskab", "Regnskab"), None, "first letter wrong");
        assert_eq!(score("integrat", "Integrationstest"), Some((PREFIX, false)));
        assert_eq!(
            score("intgerat", "Integrationstest"),
            Some((FUZZY_PREFIX, true))
        );
    }

    #[test]
    fn joined_and_split_words_match() {
        assert_eq!(score("datamodel", "Data-model"), Some((JOINED, false)));
        assert_eq!(
            score("dangelo", "D'Angelo Consulting"),
            Some((JOINED, false))
        );
        assert_eq!(score("bobs", "Bob's 'Hurtige' Fix"), Some((JOINED, false)));
        assert_eq!(score("datamodell", "Data-model"), Some((FUZZY, true)));
        let split = best("data model", "Datamodel");
        assert!(
            split.iter().all(|m| m.is_some_and(|m| m.score == JOINED)),
            "{split:?}"
        );
    }

    #[test]
    fn whole_words_beat_prefixes_beat_substrings() {
        assert_eq!(
            score("udvikling", "Udvikling af rapporter"),
            Some((WHOLE_WORD, false))
        );
        assert_eq!(
            score("udvik", "Udvikling af rapporter"),
            Some((PREFIX, false))
        );
        assert_eq!(
            score("port", "Udvikling af rapporter"),
            Some((INSIDE, false))
        );
        assert_eq!(score("møder", "Udvikling af rapporter"), None);
    }

    #[test]
    fn an_exact_match_is_better_than_any_fuzzy_one() {
        let exact = Some(WordMatch {
            score: INSIDE,
            fuzzy: false,
        });
        let fuzzy = Some(WordMatch {
            score: FUZZY,
            fuzzy: true,
        });
        assert_eq!(WordMatch::best(fuzzy, exact), exact);
        let query = Query::new("udvikling").unwrap();
        assert!(query.is_whole_name(&Name::new("Udvikling")));
        assert!(!query.is_whole_name(&Name::new("Udvikling af rapporter")));
    }
}
