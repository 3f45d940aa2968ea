//! TLS from the sidecar to PostgreSQL: a private cluster with `ssl = on`, a CA and a server
//! certificate made with the openssl command at test time, and a pg_hba.conf that accepts TCP
//! connections only over TLS (so every connection that succeeds below was encrypted).

use cxone_e2e::{run_to_end, scalar, sidecar, PrivateCluster};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a certificate it signs for `localhost` (only: connecting to 127.0.0.1 by address
/// tells verify-ca from verify-full), and a second CA that signed nothing here.
fn make_certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let ca = |name: &str, cn: &str| {
        let (key, crt, subj) = (
            format!("{name}.key"),
            format!("{name}.crt"),
            format!("/CN={cn}"),
        );
        let mut args = vec![
            "req", "-x509", "-days", "2", "-subj", &subj, "-keyout", &key, "-out", &crt,
        ];
        args.extend(ec);
        openssl(dir, &args);
    };
    ca("ca", "cxone test CA");
    ca("other", "another CA");
    let mut args = vec![
        "req",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ];
    args.extend(ec);
    openssl(dir, &args);
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
        ],
    );
}

/// Turns TLS on with the server certificate and makes pg_hba.conf refuse TCP without TLS.
/// Talks to the server over its Unix socket, which the new rules still let in.
fn require_tls(cluster: &PrivateCluster, certs: &Path) {
    let socket = format!("host=/tmp port={} user=postgres dbname=cxone", cluster.port);
    let mut admin = cxone_e2e::postgres::Client::connect(&socket, cxone_e2e::postgres::NoTls)
        .expect("connect over the Unix socket");
    let data: String = scalar(&mut admin, "SHOW data_directory", &[]);
    let owner = std::fs::metadata(&data).unwrap().uid();
    for file in ["server.crt", "server.key"] {
        let to = format!("{data}/cxone-tls-{file}");
        std::fs::copy(certs.join(file), &to).unwrap();
        // PostgreSQL reads a key only if it is its own and private.
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::chown(&to, Some(owner), None).unwrap();
    }
    std::fs::write(
        format!("{data}/pg_hba.conf"),
        "local all all trust\n\
         hostssl all all 127.0.0.1/32 trust\n\
         hostnossl all all 127.0.0.1/32 reject\n",
    )
    .unwrap();
    // One statement at a time: ALTER SYSTEM refuses to run in a (multi-statement) transaction.
    for sql in [
        "ALTER SYSTEM SET ssl = on",
        "ALTER SYSTEM SET ssl_cert_file = 'cxone-tls-server.crt'",
        "ALTER SYSTEM SET ssl_key_file = 'cxone-tls-server.key'",
        "SELECT pg_reload_conf()",
    ] {
        admin.batch_execute(sql).unwrap();
    }
    // The reload is asynchronous: wait until libpq gets in over TLS.
    let started = Instant::now();
    loop {
        let ok = Command::new("psql")
            .args([
                &format!(
                    "host=127.0.0.1 port={} user=postgres dbname=cxone sslmode=require",
                    cluster.port
                ),
                "-Atc",
                "SELECT 1",
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "TLS never came up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `cxone-sidecar check` against `url`: (succeeded, stdout, stderr).
fn check(url: &str) -> (bool, String, String) {
    let out = run_to_end(sidecar().env("DATABASE_URL", url).arg("check"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_sidecar_connects_over_verified_tls_and_refuses_a_wrong_ca() {
    let cluster = PrivateCluster::start();
    let certs: PathBuf = std::env::temp_dir().join(format!(
        "cxone-e2e-tls-{}-{}",
        std::process::id(),
        cluster.port
    ));
    std::fs::create_dir_all(&certs).unwrap();
    make_certificates(&certs);
    require_tls(&cluster, &certs);
    let ca = certs.join("ca.crt").to_string_lossy().into_owned();
    let other = certs.join("other.crt").to_string_lossy().into_owned();
    let port = cluster.port;
    let by_name = format!("postgres://postgres@localhost:{port}/cxone?hostaddr=127.0.0.1");
    let by_address = format!("postgres://postgres@127.0.0.1:{port}/cxone?");

    // Verified: the certificate names localhost and is signed by the CA given.
    for url in [
        format!("{by_name}&sslmode=verify-full&sslrootcert={ca}"),
        format!("{by_address}sslmode=verify-ca&sslrootcert={ca}"),
        format!("host=127.0.0.1 port={port} user=postgres dbname=cxone sslmode=verify-ca sslrootcert='{ca}'"),
        // Encrypted without checking the certificate, as libpq does.
        format!("{by_address}sslmode=require"),
        format!("{by_address}sslmode=prefer"),
    ] {
        let (ok, stdout, stderr) = check(&url);
        assert!(ok && stdout.contains("ok   database: connected"), "{url}:\n{stdout}\n{stderr}");
    }

    // Refused, each with a message that says what to check.
    let refusals = [
        // Signed by the CA, but not for 127.0.0.1.
        (
            format!("{by_address}sslmode=verify-full&sslrootcert={ca}"),
            "verify-full",
        ),
        // A CA that did not sign the server's certificate.
        (
            format!("{by_name}&sslmode=verify-ca&sslrootcert={other}"),
            "sslrootcert",
        ),
        (
            format!("{by_name}&sslmode=verify-full&sslrootcert={other}"),
            "sslrootcert",
        ),
        (
            format!("{by_name}&sslmode=verify-full"),
            "needs sslrootcert",
        ),
        (
            format!("{by_name}&sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"),
            "/nonexistent/ca.crt",
        ),
        // hostssl only: a connection without TLS is turned away by pg_hba.conf.
        (format!("{by_address}sslmode=disable"), "no encryption"),
    ];
    for (url, says) in refusals {
        let started = Instant::now();
        let (ok, stdout, stderr) = check(&url);
        assert!(!ok, "{url} was accepted:\n{stdout}");
        assert!(
            stderr.contains(says),
            "{url}: expected {says:?} in:\n{stderr}"
        );
        assert!(!stdout.contains("ok   database"), "{url}:\n{stdout}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{url} took {:?}",
            started.elapsed()
        );
    }
    let _ = std::fs::remove_dir_all(&certs);
}
