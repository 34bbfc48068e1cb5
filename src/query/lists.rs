//! Name lists: `queries/lists/<name>.toml`, one entry per person or organ with its role, dates
//! in office and spellings in Latin, Cyrillic and Arabic scripts plus common transliterations.
//! In: the list files; out: `Lists`, which the parser expands `$name` with (an OR of every
//! spelling, each matched as a phrase).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Most spellings one list may expand to.
const MAX_SPELLINGS: usize = 2_000;

/// One person or organ.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub organ: String,
    /// First day in office (YYYY-MM-DD), when known.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day in office, when it has ended.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub latin: Vec<String>,
    #[serde(default)]
    pub cyrillic: Vec<String>,
    #[serde(default)]
    pub arabic: Vec<String>,
    #[serde(default)]
    pub transliterations: Vec<String>,
    #[serde(default)]
    pub note: String,
}

impl Entry {
    /// The name and every spelling, without repeats (compared case-insensitively).
    pub fn spellings(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = std::iter::once(&self.name)
            .chain(&self.latin)
            .chain(&self.cyrillic)
            .chain(&self.arabic)
            .chain(&self.transliterations);
        for spelling in all {
            let spelling = spelling.split_whitespace().collect::<Vec<_>>().join(" ");
            if !spelling.is_empty()
                && !out
                    .iter()
                    .any(|s| s.to_lowercase() == spelling.to_lowercase())
            {
                out.push(spelling);
            }
        }
        out
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFile {
    #[serde(default)]
    description: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

/// A named list.
#[derive(Debug, Clone, Default)]
pub struct NameList {
    pub description: String,
    pub entries: Vec<Entry>,
}

impl NameList {
    /// Every spelling of every entry.
    pub fn spellings(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for spelling in self.entries.iter().flat_map(Entry::spellings) {
            if !out.contains(&spelling) {
                out.push(spelling);
            }
        }
        out
    }
}

/// Every loaded list, by name.
#[derive(Debug, Clone, Default)]
pub struct Lists {
    lists: BTreeMap<String, NameList>,
}

/// A list file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ListError {
    pub path: String,
    pub message: String,
}

impl Lists {
    /// Loads `dir/*.toml`; a missing folder means no lists.
    pub fn load_dir(dir: &Path) -> Result<Lists, ListError> {
        let mut lists = Lists::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(lists);
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let fail = |message: String| ListError {
                path: path.display().to_string(),
                message,
            };
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
            let loaded = Lists::from_toml(&name, &text).map_err(fail)?;
            lists.lists.extend(loaded.lists);
        }
        Ok(lists)
    }

    /// Parses one list file's text under `name`.
    pub fn from_toml(name: &str, text: &str) -> Result<Lists, String> {
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid_name {
            return Err(format!(
                "list name {name:?}: use a-z, 0-9, - and _ (it is written ${name} in queries)"
            ));
        }
        let file: ListFile = toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
        for (i, entry) in file.entry.iter().enumerate() {
            let at = format!("entry {} ({:?})", i + 1, entry.name);
            if entry.name.trim().is_empty() {
                return Err(format!("{at}: name is empty"));
            }
            for (key, date) in [("from", &entry.from), ("to", &entry.to)] {
                if let Some(date) = date
                    && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err()
                {
                    return Err(format!("{at}: {key} {date:?} is not a YYYY-MM-DD date"));
                }
            }
        }
        let list = NameList {
            description: file.description,
            entries: file.entry,
        };
        let count = list.spellings().len();
        if count > MAX_SPELLINGS {
            return Err(format!("{count} spellings; at most {MAX_SPELLINGS}"));
        }
        let mut lists = Lists::default();
        lists.lists.insert(name.to_string(), list);
        Ok(lists)
    }

    pub fn get(&self, name: &str) -> Option<&NameList> {
        self.lists.get(name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.lists.keys().map(String::as_str).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &NameList)> {
        self.lists.iter().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_load_and_cover_every_script() -> Result<(), Box<dyn std::error::Error>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/lists");
        let lists = Lists::load_dir(&dir)?;
        assert!(lists.names().contains(&"officials"), "{:?}", lists.names());
        assert!(lists.names().contains(&"organs"), "{:?}", lists.names());
        for (name, list) in lists.iter() {
            assert!(!list.entries.is_empty(), "{name}");
            let spellings = list.spellings();
            let has = |test: fn(char) -> bool| spellings.iter().any(|s| s.chars().any(test));
            assert!(
                has(|c| c.is_ascii_alphabetic()),
                "{name}: no Latin spelling"
            );
            assert!(
                has(|c| ('\u{400}'..='\u{4FF}').contains(&c)),
                "{name}: no Cyrillic"
            );
            assert!(
                has(|c| ('\u{600}'..='\u{6FF}').contains(&c)),
                "{name}: no Arabic"
            );
        }
        Ok(())
    }

    #[test]
    fn bad_lists_are_refused() {
        let cases = [
            ("x", "[[entry]]\nname = \"\"\n", "name is empty"),
            (
                "x",
                "[[entry]]\nname = \"A\"\nfrom = \"May 2021\"\n",
                "YYYY-MM-DD",
            ),
            ("X Y", "", "list name"),
            (
                "x",
                "[[entry]]\nname = \"A\"\ncolour = 1\n",
                "unknown field",
            ),
        ];
        for (name, text, expected) in cases {
            let error = Lists::from_toml(name, text).err().unwrap_or_default();
            assert!(error.contains(expected), "{error}");
        }
    }
}
