//! A table's content checksum that both backends compute alike: each row in a canonical form
//! (columns by name; integers in decimal; text that holds a JSON object or array re-written
//! with sorted keys and no spaces, so JSON stored by either backend compares equal), hashed
//! with SHA-256, and the row hashes added up. The sum does not depend on row order, which
//! the two backends' collations would otherwise make differ.

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// A stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Integer(i64),
    Text(String),
}

/// Row count and content checksum of one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub rows: u64,
    sum: u128,
}

impl Tally {
    /// Counts one row: `(column name, value)` pairs in any order.
    pub fn add(&mut self, row: &[(&str, &Cell)]) {
        let mut named: Vec<&(&str, &Cell)> = row.iter().collect();
        named.sort_by_key(|(name, _)| *name);
        let mut hash = Sha256::new();
        // Each field length-prefixed, so no text (a NUL inside included) can shift a boundary.
        let mut field = |kind: u8, bytes: &[u8]| {
            hash.update([kind]);
            hash.update((bytes.len() as u64).to_be_bytes());
            hash.update(bytes);
        };
        for (name, cell) in named {
            field(0, name.as_bytes());
            match cell {
                Cell::Null => field(1, &[]),
                Cell::Integer(n) => field(2, n.to_string().as_bytes()),
                Cell::Text(text) => field(3, canonical_text(text).as_bytes()),
            }
        }
        let digest = hash.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.sum = self.sum.wrapping_add(u128::from_be_bytes(first));
        self.rows += 1;
    }

    /// The checksum, as 32 hexadecimal digits.
    pub fn checksum(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

/// `text`, or the canonical form of the JSON object or array it holds.
fn canonical_text(text: &str) -> String {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(json) = serde_json::from_str::<Json>(text) {
            return canonical_json(&json);
        }
    }
    text.to_owned()
}

fn canonical_json(json: &Json) -> String {
    match json {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}:{}", Json::from(key.as_str()), canonical_json(&map[key])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(rows: &[Vec<(&str, Cell)>]) -> Tally {
        let mut tally = Tally::default();
        for row in rows {
            let pairs: Vec<(&str, &Cell)> = row.iter().map(|(n, c)| (*n, c)).collect();
            tally.add(&pairs);
        }
        tally
    }

    #[test]
    fn row_order_column_order_and_json_spacing_do_not_change_the_checksum() {
        let a = tally(&[
            vec![("id", Cell::Text("a".into())), ("n", Cell::Integer(1))],
            vec![("id", Cell::Text("b".into())), ("n", Cell::Null)],
            vec![("j", Cell::Text(r#"{"b": [1, 2], "a": "x"}"#.into()))],
        ]);
        let b = tally(&[
            vec![("j", Cell::Text(r#"{"a":"x","b":[1,2]}"#.into()))],
            vec![("n", Cell::Null), ("id", Cell::Text("b".into()))],
            vec![("n", Cell::Integer(1)), ("id", Cell::Text("a".into()))],
        ]);
        assert_eq!(a, b);
        assert_eq!(a.rows, 3);
    }

    #[test]
    fn a_changed_value_a_null_or_a_moved_value_changes_it() {
        let base = tally(&[vec![("a", Cell::Text("1".into())), ("b", Cell::Null)]]);
        for other in [
            vec![("a", Cell::Text("2".into())), ("b", Cell::Null)],
            vec![("a", Cell::Integer(1)), ("b", Cell::Null)],
            vec![
                ("a", Cell::Text("1".into())),
                ("b", Cell::Text(String::new())),
            ],
            vec![("a", Cell::Null), ("b", Cell::Text("1".into()))],
        ] {
            assert_ne!(base.checksum(), tally(&[other]).checksum());
        }
    }
}
