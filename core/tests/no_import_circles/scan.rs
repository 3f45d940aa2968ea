//! What a source file names by path: the file modules of its crate that it imports, read
//! from its tokens once comments and string literals are blanked out.

use std::collections::{BTreeMap, BTreeSet};

/// The file modules that the file of module `me` names by path.
pub fn dependencies(
    me: &[String],
    source: &str,
    modules: &BTreeMap<Vec<String>, usize>,
) -> BTreeSet<Vec<String>> {
    let tokens = tokens(&strip_comments_and_strings(source));
    let mut deps = BTreeSet::new();
    // The inline modules (`mod tests { .. }`) the scanner is inside, with the brace depth at
    // which each one closes.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        match t {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((tokens[i + 1].clone(), depth));
                depth += 1;
                i += 3;
                continue;
            }
            _ if is_ident(t) && tokens.get(i + 1).is_some_and(|t| t == "::") => {
                // A whole path, brace groups included, so that no segment of it is read
                // again as the start of a path.
                let (paths, end) = path_at(&tokens, i);
                let here: Vec<String> = me
                    .iter()
                    .cloned()
                    .chain(inline.iter().map(|(m, _)| m.clone()))
                    .collect();
                for path in paths {
                    if let Some(target) = resolve(&here, inline.is_empty(), &path, modules) {
                        deps.insert(target);
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    deps
}

/// The file module that `path`, written in module `here`, points into; `None` for paths
/// outside the crate.
fn resolve(
    here: &[String],
    here_is_a_file: bool,
    path: &[String],
    modules: &BTreeMap<Vec<String>, usize>,
) -> Option<Vec<String>> {
    let (mut at, rest) = match path[0].as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (here.to_vec(), &path[1..]),
        "super" => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            (here[..here.len().checked_sub(ups)?].to_vec(), &path[ups..])
        }
        first => {
            let child: Vec<String> = here.iter().cloned().chain([first.to_string()]).collect();
            if !here_is_a_file || !modules.contains_key(&child) {
                return None;
            }
            (child, &path[1..])
        }
    };
    for segment in rest {
        let mut next = at.clone();
        next.push(segment.clone());
        if !modules.contains_key(&next) {
            break;
        }
        at = next;
    }
    while !modules.contains_key(&at) {
        at.pop()?;
    }
    Some(at)
}

/// The paths of the path (or `use` tree) that starts at `tokens[start]`, brace groups
/// expanded (`a::{b, c::{d}}` is `a::b`, `a::c::d`), and the index after it.
fn path_at(tokens: &[String], start: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = vec![tokens[start].clone()];
    let mut i = start + 1;
    while tokens.get(i).is_some_and(|t| t == "::") {
        match tokens.get(i + 1).map(String::as_str) {
            Some("{") => {
                let mut paths = Vec::new();
                i += 2;
                loop {
                    match tokens.get(i).map(String::as_str) {
                        None => return (paths, i),
                        Some("}") => return (paths, i + 1),
                        Some(",") => i += 1,
                        Some("self") => {
                            paths.push(prefix.clone());
                            i += 1;
                        }
                        Some(t) if is_ident(t) => {
                            let (inner, end) = path_at(tokens, i);
                            paths.extend(inner.into_iter().map(|p| [prefix.clone(), p].concat()));
                            i = end;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            Some(t) if is_ident(t) => {
                prefix.push(t.to_string());
                i += 2;
            }
            _ => {
                i += 1;
                break;
            }
        }
    }
    (vec![prefix], i)
}

fn is_ident(t: &str) -> bool {
    t.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// Identifiers, `::` and single punctuation characters.
fn tokens(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let end = (i..chars.len())
                .find(|&j| !(chars[j].is_alphanumeric() || chars[j] == '_'))
                .unwrap_or(chars.len());
            out.push(chars[i..end].iter().collect());
            i = end;
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_string());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// `code` with comments, string and character literals blanked out.
fn strip_comments_and_strings(code: &str) -> String {
    let c: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    let ident = |j: usize| c[j].is_alphanumeric() || c[j] == '_';
    while i < c.len() {
        let at = |s: &str| c[i..].starts_with(&s.chars().collect::<Vec<_>>());
        if at("//") {
            i = (i..c.len()).find(|&j| c[j] == '\n').unwrap_or(c.len());
        } else if at("/*") {
            let mut nesting = 0;
            while i < c.len() {
                if c[i..].starts_with(&['/', '*']) {
                    nesting += 1;
                    i += 2;
                } else if c[i..].starts_with(&['*', '/']) {
                    nesting -= 1;
                    i += 2;
                    if nesting == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if (c[i] == 'r' || (c[i] == 'b' && c.get(i + 1) == Some(&'r')))
            && (i == 0 || !ident(i - 1))
            && raw_string_end(&c, i + if c[i] == 'r' { 1 } else { 2 }).is_some()
        {
            i = raw_string_end(&c, i + if c[i] == 'r' { 1 } else { 2 }).unwrap();
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' && c.get(i + 1) == Some(&'\\') {
            i = (i + 3..c.len())
                .find(|&j| c[j] == '\'')
                .map_or(c.len(), |j| j + 1);
            out.push_str("' '");
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Where the raw string whose hashes start at `c[i]` ends (`#"..."#`), if one starts there.
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    let hashes = c[i..].iter().take_while(|&&h| h == '#').count();
    if c.get(i + hashes) != Some(&'"') {
        return None;
    }
    let close: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    let body = i + hashes + 1;
    (body..c.len())
        .find(|&j| c[j..].starts_with(&close))
        .map(|j| j + close.len())
        .or(Some(c.len()))
}
