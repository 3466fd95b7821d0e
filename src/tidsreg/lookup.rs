//! Lookup answers (`/Find/Select…`), normalised to `{id, name}` whatever the spelling.

use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use bytes::Bytes;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::UpstreamError;

/// One customer, project, phase, activity or kind, as our API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Lookup {
    pub id: u64,
    pub name: String,
}

/// One lookup answer as a session caches it: the entries, and their JSON encoded at most
/// once, so repeating a cached lookup over REST does not encode the same list every time.
#[derive(Debug, Default)]
pub struct LookupList {
    entries: Vec<Lookup>,
    json: OnceLock<Bytes>,
}

impl LookupList {
    /// The entries as a JSON array.
    pub fn json(&self) -> Bytes {
        self.json
            .get_or_init(|| match serde_json::to_vec(&self.entries) {
                Ok(json) => json.into(),
                Err(e) => unreachable!("ids and strings always encode: {e}"),
            })
            .clone()
    }
}

impl From<Vec<Lookup>> for LookupList {
    fn from(entries: Vec<Lookup>) -> Self {
        Self {
            entries,
            json: OnceLock::new(),
        }
    }
}

impl std::ops::Deref for LookupList {
    type Target = [Lookup];

    fn deref(&self) -> &[Lookup] {
        &self.entries
    }
}

impl Serialize for LookupList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.entries.serialize(serializer)
    }
}

/// Parses a lookup answer. Public clients disagree on the spelling (`{"id","name"}` versus
/// `{"CustomerId","Name"}`), so any key named `id`/`Id` or ending in `Id` is the id and
/// `name`/`Name` is the name. Entries without both are skipped rather than guessed at.
///
/// It reads the bytes straight into [`Lookup`]s: no `serde_json::Value` tree, no copy of
/// the keys (a proxied lookup spends its time here on every call).
pub fn parse(bytes: &[u8]) -> Result<Vec<Lookup>, UpstreamError> {
    let entries: Vec<Loose<Lookup>> = serde_json::from_slice(bytes).map_err(|e| {
        UpstreamError::BadAnswer(match e.classify() {
            serde_json::error::Category::Data => "expected a JSON array".into(),
            _ => format!("not JSON ({e})"),
        })
    })?;
    Ok(entries
        .into_iter()
        .filter_map(|Loose(entry)| entry)
        .collect())
}

/// A value read tolerantly: the expected shape, else `None`, never an error.
struct Loose<T>(Option<T>);

impl<'de, T: Tolerant> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor(PhantomData))
    }
}

/// What a tolerant reader makes of each JSON shape; by default, nothing.
trait Tolerant: Sized {
    fn from_str(_: &str) -> Option<Self> {
        None
    }

    fn from_u64(_: u64) -> Option<Self> {
        None
    }

    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Option<Self>, A::Error> {
        IgnoredAny.visit_map(map).map(|_| None)
    }
}

impl Tolerant for String {
    fn from_str(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

/// Ids are numbers, but a tolerant reader also takes a numeric string.
impl Tolerant for u64 {
    fn from_str(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }

    fn from_u64(n: u64) -> Option<Self> {
        Some(n)
    }
}

/// An entry: the first id-like key that reads as an id, and the last name.
impl Tolerant for Lookup {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut id = None;
        let mut name = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Name => name = map.next_value::<Loose<String>>()?.0,
                Key::Id => {
                    let value = map.next_value::<Loose<u64>>()?.0;
                    id = id.or(value);
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(id.zip(name).map(|(id, name)| Lookup { id, name }))
    }
}

struct LooseVisitor<T>(PhantomData<T>);

impl<'de, T: Tolerant> Visitor<'de> for LooseVisitor<T> {
    type Value = Loose<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Loose<T>, E> {
        Ok(Loose(T::from_str(text)))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Loose<T>, E> {
        Ok(Loose(T::from_u64(n)))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Loose<T>, E> {
        Ok(Loose(u64::try_from(n).ok().and_then(T::from_u64)))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Loose<T>, E> {
        Ok(Loose(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Loose<T>, E> {
        Ok(Loose(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose<T>, E> {
        Ok(Loose(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose<T>, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Loose(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<T>, A::Error> {
        T::from_map(map).map(Loose)
    }
}

/// What a key of an entry holds, decided from the key without copying it.
enum Key {
    Id,
    Name,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(if key.eq_ignore_ascii_case("name") {
            Key::Name
        } else if key.eq_ignore_ascii_case("id") || key.ends_with("Id") && key != "ParentId" {
            Key::Id
        } else {
            Key::Other
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(id: u64, name: &str) -> Lookup {
        Lookup {
            id,
            name: name.into(),
        }
    }

    #[test]
    fn both_spellings_normalise_to_id_and_name() {
        let pascal = br#"[{"CustomerId": 11166, "Name": "&Money ApS"}]"#;
        let lower = br#"[{"id": 11166, "name": "&Money ApS"}]"#;
        assert_eq!(parse(pascal).unwrap(), vec![lookup(11166, "&Money ApS")]);
        assert_eq!(parse(lower).unwrap(), vec![lookup(11166, "&Money ApS")]);
    }

    #[test]
    fn other_levels_and_string_ids_work() {
        let json =
            r#"[{"KindId": "13", "Name": "Billable"}, {"Id": 7, "ParentId": 3, "Name": "Møder"}]"#;
        assert_eq!(
            parse(json.as_bytes()).unwrap(),
            vec![lookup(13, "Billable"), lookup(7, "Møder")]
        );
    }

    #[test]
    fn a_list_encodes_its_entries_once() {
        let list = LookupList::from(vec![lookup(1, "Ærø \"A/S\"")]);
        let json = list.json();
        assert_eq!(&json[..], r#"[{"id":1,"name":"Ærø \"A/S\""}]"#.as_bytes());
        assert_eq!(
            list.json().as_ptr(),
            json.as_ptr(),
            "the same bytes, not encoded again"
        );
    }

    #[test]
    fn odd_values_are_skipped_not_fatal() {
        let json = r#"[1, "x", null, [2], {"Id": -3, "Name": "negative"},
            {"Id": 1.5, "Name": "fraction"}, {"Id": 4, "Name": null},
            {"Id": {"n": 5}, "CustomerId": 6, "Name": ["list"], "name": "last name wins"},
            {"ParentId": 9, "Name": "parent is not the id"}]"#;
        assert_eq!(
            parse(json.as_bytes()).unwrap(),
            vec![lookup(6, "last name wins")]
        );
    }

    #[test]
    fn incomplete_entries_are_skipped_and_non_arrays_refused() {
        assert_eq!(parse(br#"[{"Name": "no id"}, {"id": 1}]"#).unwrap(), vec![]);
        assert!(matches!(parse(b"<html>"), Err(UpstreamError::BadAnswer(_))));
        assert!(matches!(
            parse(br#"{"id": 1}"#),
            Err(UpstreamError::BadAnswer(_))
        ));
    }
}
