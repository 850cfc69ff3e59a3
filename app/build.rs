//! Turns the translation files in `locales/` into a Rust enum of message keys,
//! so a missing or misspelt key is a compile error, and checks that every
//! language has exactly the same keys.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

const LANGS: [(&str, &str); 2] = [("zh-CN", "ZhCn"), ("en", "En")];

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut tables: Vec<BTreeMap<String, String>> = Vec::new();
    for (lang, _) in LANGS {
        let path = dir.join(format!("{lang}.json"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let table: BTreeMap<String, String> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        tables.push(table);
    }
    let keys: Vec<&String> = tables[0].keys().collect();
    for (i, (lang, _)) in LANGS.iter().enumerate().skip(1) {
        let other: Vec<&String> = tables[i].keys().collect();
        if other != keys {
            let missing: Vec<_> = keys
                .iter()
                .filter(|k| !tables[i].contains_key(**k))
                .collect();
            let extra: Vec<_> = other
                .iter()
                .filter(|k| !tables[0].contains_key(**k))
                .collect();
            panic!(
                "locales/{lang}.json differs from zh-CN.json: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    let mut out = String::new();
    out.push_str("/// A message of the interface; its text per language is in `app/locales/`.\n");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n#[allow(clippy::enum_variant_names)]\npub enum Key {\n");
    for key in &keys {
        let _ = writeln!(out, "    {},", variant(key));
    }
    out.push_str("}\n\nimpl Key {\n");
    out.push_str("    /// The key named in the translation files, e.g. `error.forbidden`.\n");
    out.push_str("    pub fn by_name(name: &str) -> Option<Key> {\n        match name {\n");
    for key in &keys {
        let _ = writeln!(out, "            {:?} => Some(Key::{}),", key, variant(key));
    }
    out.push_str("            _ => None,\n        }\n    }\n");
    for (i, (_, fn_name)) in LANGS.iter().enumerate() {
        let _ = writeln!(
            out,
            "    fn text_{}(self) -> &'static str {{\n        match self {{",
            fn_name.to_lowercase()
        );
        for key in &keys {
            let _ = writeln!(
                out,
                "            Key::{} => {:?},",
                variant(key),
                tables[i][*key]
            );
        }
        out.push_str("        }\n    }\n");
    }
    out.push_str("}\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("i18n_keys.rs");
    std::fs::write(dest, out).expect("writing i18n_keys.rs");
}

/// `nav.home` -> `NavHome`
fn variant(key: &str) -> String {
    key.split(['.', '_', '-'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}
