//! Dependencies between the files of a crate run one way (STYLE.md, habit 2): no file may
//! depend, directly or through others, on a file that depends on it. This test reads the
//! sources of every crate in the workspace and fails listing each import circle it finds.
//!
//! File A depends on file B when A names B's module by path: `crate::b`, `use crate::{b, ..}`,
//! `super::b`, `self::b`, or, for a child module of A, plain `b::`. A path to an item of the
//! crate root (`crate::ALLOCATOR`) is a dependency on lib.rs or main.rs. `mod b;` is a
//! declaration, not an import. Comments (doc comments too) and string literals are ignored.

// Each tests/*.rs is a test of its own, so this one's module lives in a folder beside it.
#[path = "no_import_circles/scan.rs"]
mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The source folders of the workspace's crates, relative to the workspace root.
const CRATES: &[&str] = &[
    "core/src",
    "extension/src",
    "sidecar/src",
    "tests/e2e/src",
    "bench/src",
];

#[test]
fn files_of_a_crate_do_not_import_each_other_in_a_circle() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    let mut total = 0;
    for dir in CRATES {
        let files = read_crate(&workspace.join(dir));
        total += files.len();
        for circle in circles(&files) {
            found.push(format!("{dir}: {} -> {}", circle.join(" -> "), circle[0]));
        }
    }
    println!(
        "import circles: {} in {total} files of {} crates",
        found.len(),
        CRATES.len()
    );
    assert!(
        found.is_empty(),
        "dependencies between the files of a crate must run one way, and these files import \
         each other in a circle:\n  {}\nMove what both sides need into a file that neither \
         imports, or let one side pass the other what it needs.",
        found.join("\n  ")
    );
}

/// Every `.rs` file under `src`, as (path relative to `src`, source text).
fn read_crate(src: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let rel = path
                    .strip_prefix(src)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.push((rel, text));
            }
        }
    }
    files.sort();
    files
}

/// The module a file defines: `a.rs` and `a/mod.rs` are `a`, `a/b.rs` is `a::b`, and the crate
/// root (lib.rs, main.rs) is the empty path.
fn module_of(rel: &str) -> Vec<String> {
    let mut path: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if path.last().is_some_and(|l| l == "mod") || path == ["lib"] || path == ["main"] {
        path.pop();
    }
    path
}

/// The elementary import circles among `files`, each as its files in order, starting at the
/// first in sorted order; the last file imports the first.
fn circles(files: &[(String, String)]) -> Vec<Vec<String>> {
    let modules: BTreeMap<Vec<String>, usize> = files
        .iter()
        .enumerate()
        .map(|(i, (rel, _))| (module_of(rel), i))
        .collect();
    let edges: Vec<BTreeSet<usize>> = files
        .iter()
        .enumerate()
        .map(|(i, (rel, text))| {
            let deps = scan::dependencies(&module_of(rel), text, &modules);
            deps.iter()
                .map(|m| modules[m])
                .filter(|&j| j != i)
                .collect()
        })
        .collect();
    let mut found = Vec::new();
    for start in 0..files.len() {
        walk(start, start, &edges, &mut vec![start], &mut found);
    }
    found
        .into_iter()
        .map(|c| c.into_iter().map(|i| files[i].0.clone()).collect())
        .collect()
}

/// Depth-first search for the circles through `start` whose other files all sort after it,
/// so each circle is found once.
fn walk(
    start: usize,
    at: usize,
    edges: &[BTreeSet<usize>],
    path: &mut Vec<usize>,
    found: &mut Vec<Vec<usize>>,
) {
    for &next in &edges[at] {
        if next == start {
            found.push(path.clone());
        } else if next > start && !path.contains(&next) {
            path.push(next);
            walk(start, next, edges, path, found);
            path.pop();
        }
    }
}

fn crate_of(files: &[(&str, &str)]) -> Vec<String> {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect();
    circles(&files)
        .into_iter()
        .map(|c| format!("{} -> {}", c.join(" -> "), c[0]))
        .collect()
}

#[test]
fn a_circle_through_crate_paths_is_found() {
    let found = crate_of(&[
        ("lib.rs", "mod a; mod b; mod c;"),
        ("a.rs", "use crate::b::Thing;"),
        ("b.rs", "fn f() { crate::c::g() }"),
        ("c.rs", "use crate::a;\nfn g() { a::h() }"),
    ]);
    assert_eq!(found, ["a.rs -> b.rs -> c.rs -> a.rs"]);
}

#[test]
fn comments_doc_comments_and_strings_make_no_circle() {
    let found = crate_of(&[
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", "use crate::b::Thing;"),
        (
            "b.rs",
            "//! Fed by [`crate::a`].\n/// See crate::a::x\nfn f() {\n // crate::a::y\n \
             /* crate::a /* nested */ crate::a */\n let s = \"crate::a::z\";\n \
             let r = r#\"crate::a \" crate::a\"#; let c = '\"'; let l: &'static str = s; }",
        ),
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn brace_groups_nested_or_not_are_imports() {
    let found = crate_of(&[
        ("lib.rs", "mod a; mod b; mod c;"),
        ("a.rs", "use crate::{c, b::{self, Item}};"),
        ("b.rs", "use crate::{x::{y::{z}}, c::{d::{e}}, a::{f, g}};"),
        ("c.rs", ""),
    ]);
    assert_eq!(found, ["a.rs -> b.rs -> a.rs"]);
}

#[test]
fn super_from_a_module_folder_is_an_import_of_the_parent_or_a_sibling() {
    let found = crate_of(&[
        ("lib.rs", "pub mod x;"),
        ("x.rs", "mod y; mod z; use self::z::Z; pub struct X;"),
        ("x/y.rs", "use super::X;"),
        ("x/z.rs", "use super::y::Y;"),
    ]);
    assert_eq!(found, ["x.rs -> x/z.rs -> x/y.rs -> x.rs"]);
}

#[test]
fn super_inside_an_inline_module_is_the_file_itself() {
    let found = crate_of(&[
        ("lib.rs", "mod a;"),
        (
            "a.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests { use super::*; }",
        ),
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn the_root_is_a_file_like_the_others() {
    let found = crate_of(&[
        (
            "main.rs",
            "mod a; mod b; pub static ALLOCATOR: u8 = 0; fn main() { a::run() }",
        ),
        ("a.rs", "pub fn run() { let _ = &crate::ALLOCATOR; }"),
        ("b.rs", "use crate::a::run;"),
    ]);
    assert_eq!(found, ["main.rs -> a.rs -> main.rs"]);
}

#[test]
fn mod_declarations_and_visibility_are_not_imports() {
    let found = crate_of(&[
        ("lib.rs", "pub(crate) mod a; mod b;"),
        ("a.rs", "pub(super) fn f() {}\n#[cfg(test)]\nmod tests;"),
        ("a/tests.rs", "use super::*;"),
        ("b.rs", "pub(crate) fn g() { crate::a::f() }"),
    ]);
    assert!(found.is_empty(), "{found:?}");
}
