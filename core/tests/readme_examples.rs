//! The examples in README.md are tests: every ```json block after `<!-- example: mapping -->`
//! holds a payload, a mapping and the text it must give; every row of the table after
//! `<!-- example: pii -->` holds a text and the PII types it must report.

use cxone_core::intent::IntentRules;
use cxone_core::mapping::Mapping;
use cxone_core::tag::tag;
use serde_json::Value;

const README: &str = include_str!("../../README.md");

fn blocks_after(marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = README;
    while let Some(i) = rest.find(marker) {
        rest = &rest[i + marker.len()..];
        let start = rest
            .find("```json")
            .expect("a ```json block follows the marker")
            + 7;
        let end = rest[start..].find("```").expect("the block is closed") + start;
        out.push(rest[start..end].to_string());
        rest = &rest[end..];
    }
    out
}

#[test]
fn mapping_examples() {
    let examples = blocks_after("<!-- example: mapping -->");
    assert!(
        examples.len() >= 4,
        "README has {} mapping examples",
        examples.len()
    );
    for (i, block) in examples.iter().enumerate() {
        let ex: Value = serde_json::from_str(block).unwrap_or_else(|e| panic!("example {i}: {e}"));
        let mapping = Mapping::parse(&ex["mapping"]).unwrap_or_else(|e| panic!("example {i}: {e}"));
        let got = mapping
            .render(&ex["payload"], &Default::default())
            .unwrap()
            .text;
        assert_eq!(
            got,
            ex["text"].as_str().unwrap(),
            "README mapping example {i}"
        );
    }
}

#[test]
fn pii_examples() {
    let marker = "<!-- example: pii -->";
    let table =
        &README[README.find(marker).expect("README has a PII example table") + marker.len()..];
    let rules = IntentRules::seed();
    let mut rows = 0;
    for line in table
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| l.starts_with('|'))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let (Some(text), Some(kinds)) = (cells.first(), cells.get(1)) else {
            continue;
        };
        let Some(text) = text.strip_prefix('`').and_then(|t| t.strip_suffix('`')) else {
            continue;
        };
        let want: Vec<&str> = kinds
            .trim_matches('`')
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty() && *k != "none")
            .collect();
        let tags = tag(text, &rules);
        let got: Vec<&str> = tags["pii_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let mut want_sorted = want.clone();
        want_sorted.sort();
        assert_eq!(got, want_sorted, "README PII example {text:?}");
        rows += 1;
    }
    assert!(rows >= 8, "README PII table has {rows} rows");
}
