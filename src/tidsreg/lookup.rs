//! Lookup answers (`/Find/Select…`), normalised to `{id, name}` whatever the spelling.

use serde::Serialize;
use serde_json::{Map, Value};

use super::UpstreamError;

/// One customer, project, phase, activity or kind, as our API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Lookup {
    pub id: u64,
    pub name: String,
}

/// Parses a lookup answer. Public clients disagree on the spelling (`{"id","name"}` versus
/// `{"CustomerId","Name"}`), so any key named `id`/`Id` or ending in `Id` is the id and
/// `name`/`Name` is the name. Entries without both are skipped rather than guessed at.
pub fn parse(bytes: &[u8]) -> Result<Vec<Lookup>, UpstreamError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| UpstreamError::BadAnswer(format!("not JSON ({e})")))?;
    let Value::Array(items) = value else {
        return Err(UpstreamError::BadAnswer("expected a JSON array".into()));
    };
    Ok(items
        .iter()
        .filter_map(|item| item.as_object().and_then(entry))
        .collect())
}

fn entry(object: &Map<String, Value>) -> Option<Lookup> {
    let mut id = None;
    let mut name = None;
    for (key, value) in object {
        if key.eq_ignore_ascii_case("name") {
            name = value.as_str().map(str::to_owned);
        } else if key.eq_ignore_ascii_case("id") || key.ends_with("Id") && key != "ParentId" {
            id = id.or_else(|| as_id(value));
        }
    }
    Some(Lookup {
        id: id?,
        name: name?,
    })
}

/// Ids are numbers, but a tolerant reader also takes a numeric string.
fn as_id(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
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
    fn incomplete_entries_are_skipped_and_non_arrays_refused() {
        assert_eq!(parse(br#"[{"Name": "no id"}, {"id": 1}]"#).unwrap(), vec![]);
        assert!(matches!(parse(b"<html>"), Err(UpstreamError::BadAnswer(_))));
        assert!(matches!(
            parse(br#"{"id": 1}"#),
            Err(UpstreamError::BadAnswer(_))
        ));
    }
}
