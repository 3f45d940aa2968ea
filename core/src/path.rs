//! Paths into a JSON payload: `data.case.id`, `data.transcript[0].text`, `data.transcript[*]`.
//!
//! Paths always resolve from the payload root. A path is parsed once (when a mapping is loaded)
//! and then resolved against many payloads, so parsing reports errors that name the path and
//! resolution never fails: a path that does not fit a payload simply yields nothing.

use serde_json::Value;
use std::fmt;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    /// `[*]`: every element of an array (nothing for anything else).
    Each,
}

/// A parsed path. `Display` gives back the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    steps: Vec<Step>,
}

/// Why a path was refused; the message names the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad path '{path}': {problem}")]
pub struct PathError {
    pub path: String,
    pub problem: String,
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let fail = |problem: &str| PathError {
            path: text.to_string(),
            problem: problem.to_string(),
        };
        if text.trim().is_empty() {
            return Err(fail("path is empty"));
        }
        let mut steps = Vec::new();
        for segment in text.split('.') {
            let (name, mut rest) = match segment.find('[') {
                Some(i) => (&segment[..i], &segment[i..]),
                None => (segment, ""),
            };
            if name.is_empty() && rest.is_empty() {
                return Err(fail(
                    "empty segment (two dots in a row, or a leading/trailing dot)",
                ));
            }
            if name.chars().any(|c| c == ']' || c.is_whitespace()) {
                return Err(fail(&format!(
                    "segment '{segment}' has a stray ']' or whitespace"
                )));
            }
            if !name.is_empty() {
                steps.push(Step::Key(name.to_string()));
            }
            while !rest.is_empty() {
                let close = rest
                    .find(']')
                    .ok_or_else(|| fail(&format!("unclosed '[' in segment '{segment}'")))?;
                let inner = &rest[1..close];
                if inner == "*" {
                    steps.push(Step::Each);
                } else {
                    let n = inner.parse::<usize>().map_err(|_| {
                        fail(&format!("'[{inner}]' must be a non-negative index or [*]"))
                    })?;
                    steps.push(Step::Index(n));
                }
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(fail(&format!("unexpected '{rest}' after ']'")));
                }
            }
        }
        if steps.is_empty() {
            return Err(fail("path selects nothing"));
        }
        Ok(JsonPath {
            text: text.to_string(),
            steps,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the path can select more than one value (it contains `[*]`).
    pub fn is_multi(&self) -> bool {
        self.steps.contains(&Step::Each)
    }

    /// Every value the path selects in `root`, in document order.
    pub fn resolve<'v>(&self, root: &'v Value) -> Vec<&'v Value> {
        let mut current = vec![root];
        for step in &self.steps {
            let mut next = Vec::with_capacity(current.len());
            for value in current {
                match (step, value) {
                    (Step::Key(k), Value::Object(map)) => next.extend(map.get(k)),
                    (Step::Index(i), Value::Array(items)) => next.extend(items.get(*i)),
                    (Step::Each, Value::Array(items)) => next.extend(items.iter()),
                    _ => {}
                }
            }
            if next.is_empty() {
                return next;
            }
            current = next;
        }
        current
    }

    /// The first value the path selects, if any.
    pub fn first<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        if self.is_multi() {
            return self.resolve(root).into_iter().next();
        }
        let mut value = root;
        for step in &self.steps {
            value = match (step, value) {
                (Step::Key(k), Value::Object(map)) => map.get(k)?,
                (Step::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(value)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A scalar rendered as text for ids and metadata: strings as they are, numbers and booleans in
/// their JSON form; null, empty strings, arrays and objects give nothing.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_keys_indexes_and_each() {
        let doc = json!({"data": {"case": {"id": "131"}, "t": [{"x": "a"}, {"x": 2}, {"y": 1}]}});
        let cases: &[(&str, Vec<Value>)] = &[
            ("data.case.id", vec![json!("131")]),
            ("data.t[0].x", vec![json!("a")]),
            ("data.t[*].x", vec![json!("a"), json!(2)]),
            ("data.t[9].x", vec![]),
            ("data.case[*]", vec![]),
            ("missing.path", vec![]),
        ];
        for (path, want) in cases {
            let p = JsonPath::parse(path).unwrap();
            let got: Vec<Value> = p.resolve(&doc).into_iter().cloned().collect();
            assert_eq!(&got, want, "{path}");
            assert_eq!(p.first(&doc).cloned(), want.first().cloned(), "{path}");
        }
    }

    #[test]
    fn refuses_bad_paths_naming_them() {
        for bad in [
            "", "a..b", ".a", "a.", "a[", "a[x]", "a[-1]", "a[0]b", "a b",
        ] {
            let err = JsonPath::parse(bad).unwrap_err();
            assert_eq!(err.path, bad);
            assert!(err.to_string().contains(&format!("'{bad}'")), "{err}");
        }
    }

    #[test]
    fn top_level_index_is_allowed() {
        let p = JsonPath::parse("[1]").unwrap();
        assert_eq!(p.first(&json!(["a", "b"])), Some(&json!("b")));
    }
}
