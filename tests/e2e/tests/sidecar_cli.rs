//! The real sidecar binary (built by scripts/test.sh; CXONE_SIDECAR_BIN points at it).

use std::process::Command;

fn sidecar() -> Command {
    let bin = std::env::var("CXONE_SIDECAR_BIN").unwrap_or_else(|_| {
        format!(
            "{}/../../target/debug/cxone-sidecar",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    Command::new(bin)
}

#[test]
fn help_lists_commands_and_settings() {
    let out = sidecar()
        .arg("--help")
        .output()
        .expect("run cxone-sidecar --help (build it first)");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["run", "check", "backfill", "--database-url", "DATABASE_URL"] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
}

#[test]
fn unbuilt_commands_say_so_and_fail() {
    let out = sidecar().arg("run").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not implemented yet"));
}
