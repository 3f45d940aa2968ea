//! The embeddings API key, tried the way a reader would look for it: catalogs anyone can read,
//! settings before and after the library loads, error text, the server log; a client that
//! points the endpoint at its own server; plain http to another host; and https with a
//! private CA.

use cxone_e2e::attack::{outcome_of, record_attack, Login};
use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::postgres::Client;
use cxone_e2e::{embed_queries_with, fixture, insert, scalar, use_embeddings_key, TestDb};
use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Everything a session can read where settings live, as one text.
fn readable_settings(c: &mut Client) -> String {
    let mut all = String::new();
    for sql in [
        "SELECT coalesce(string_agg(array_to_string(setconfig, ','), ';'), '') FROM pg_db_role_setting",
        "SELECT coalesce(string_agg(array_to_string(rolconfig, ','), ';'), '') FROM pg_roles",
        "SELECT coalesce(string_agg(name || '=' || coalesce(setting, ''), ';'), '') FROM pg_settings",
        "SELECT coalesce(current_setting('cxone.embeddings_api_key', true), '')",
    ] {
        match c.query_one(sql, &[]) {
            Ok(r) => all.push_str(&r.get::<_, String>(0)),
            Err(e) => all.push_str(&e.to_string()),
        }
        all.push('\n');
    }
    all
}

/// A listener that counts the connections made to it (an attacker's endpoint).
fn listener() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            h.fetch_add(1, Ordering::SeqCst);
            let mut s = s;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
        }
    });
    (port, hits)
}

#[test]
fn the_api_key_is_never_readable_and_never_sent_where_it_should_not_go() {
    let double = OpenAiDouble::start(Faults::default());
    let db = TestDb::new();
    let mut admin = db.connect();
    admin
        .batch_execute("UPDATE cxone_models SET model = 'text-embedding-3-small', dims = 1536")
        .unwrap();
    let key_file = embed_queries_with(&db, &double);
    insert(&mut admin, &fixture("seed_conversation_completed.json"));
    let reader = Login::new(&db, &format!("{}_rd", db.name), "cxone_reader");

    // Fresh session, library not loaded: nothing readable holds the key.
    let mut r = reader.connect();
    let before = readable_settings(&mut r);
    assert!(
        !before.contains(&double.key),
        "key readable before the library loads"
    );
    // The library loaded, and a query embedding made with the key.
    let v: String = scalar(
        &mut r,
        "SELECT cxone_embed('my card was charged twice')::text",
        &[],
    );
    assert!(v.starts_with('['));
    let sent = double.log();
    assert!(!sent.is_empty(), "the double saw the request");
    let after = readable_settings(&mut r);
    assert!(
        !after.contains(&double.key),
        "key readable after the library loads"
    );
    let file = outcome_of(r.batch_execute(&format!("SELECT pg_read_file('{key_file}')")));
    assert_eq!(file, "42501");
    record_attack(
        "read the API key: pg_db_role_setting, pg_roles.rolconfig, pg_settings, current_setting, before and after the library loads; pg_read_file of the key file",
        "cxone_reader login",
        "the key appears nowhere; the file is refused",
        "not found in any; pg_read_file 42501",
    );

    // A client that points the endpoint (or the key file) somewhere of its own.
    let (port, hits) = listener();
    for (setting, value) in [
        (
            "cxone.embeddings_url",
            format!("http://127.0.0.1:{port}/v1/embeddings"),
        ),
        ("cxone.embeddings_api_key_file", "/etc/hostname".to_string()),
    ] {
        let mut c = reader.connect_with(&format!("-c {setting}={value}"));
        // Either PostgreSQL drops the client's value when the library defines the setting
        // (the database's endpoint answers) or the extension refuses it.
        let result = match c.query_one("SELECT cxone_embed('x')::text", &[]) {
            Ok(_) => "value dropped by PostgreSQL; the configured endpoint answered".to_string(),
            Err(err) => {
                let msg = err
                    .as_db_error()
                    .map(|e| e.message().to_string())
                    .unwrap_or_default();
                assert!(msg.contains("not a superuser"), "{setting}: {msg}");
                assert!(!msg.contains(&double.key));
                format!("refused: {msg}")
            }
        };
        record_attack(
            &format!("send the key elsewhere: PGOPTIONS -c {setting}=... before the library loads"),
            "cxone_reader login",
            "the client's value is not used; nothing sent to it",
            &result,
        );
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the attacker's endpoint was reached"
    );

    // Error text names the endpoint without credentials and never holds the key.
    db.set(
        "cxone.embeddings_url",
        &format!(
            "http://user:url-password@127.0.0.1:{}/v1/embeddings?token=url-token",
            cxone_e2e::free_port()
        ),
    );
    let err = reader
        .connect()
        .query_one("SELECT cxone_embed('x')::text", &[])
        .unwrap_err();
    let err = format!("{err} {:?}", err.as_db_error().map(|e| e.message()));
    for secret in [double.key.as_str(), "url-password", "url-token"] {
        assert!(!err.contains(secret), "{secret} in: {err}");
    }
    // Plain http to another host: the key is not sent.
    db.set("cxone.embeddings_url", "http://192.0.2.1:9/v1/embeddings");
    let err = reader
        .connect()
        .query_one("SELECT cxone_embed('x')::text", &[])
        .unwrap_err();
    let err = format!("{err} {:?}", err.as_db_error().map(|e| e.message()));
    assert!(
        err.contains("refusing to send the API key over plain http"),
        "{err}"
    );
    record_attack(
        "make the key show up in errors (unreachable endpoint, credentials in the URL); plain http to a non-loopback host",
        "cxone_reader login",
        "no key, password or token in any message; the key is not sent over plain http",
        "none in the messages; plain http refused before connecting",
    );

    // The server log of the whole run so far holds no key.
    let data: String = scalar(&mut admin, "SHOW data_directory", &[]);
    if let Ok(log) = std::fs::read_to_string(format!("{data}/postgres.log")) {
        assert!(!log.contains(&double.key), "the key is in the server log");
    }
}

/// An https endpoint on 127.0.0.1 with a certificate from a private CA (made here with the
/// openssl command): reached with `cxone.embeddings_ca_file`, refused without it.
#[test]
fn cxone_embed_reaches_https_with_a_private_ca() {
    let dir = std::env::temp_dir().join(format!("cxone-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap().to_string();
    let sh = |cmd: &str| {
        let out = std::process::Command::new("sh")
            .args(["-c", cmd])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cxone-test-ca -keyout ca.key -out ca.pem 2>/dev/null");
    sh("openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null");
    sh("printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem 2>/dev/null");
    sh("chmod 755 . && chmod 644 ca.pem");
    let port = cxone_e2e::free_port();
    let script = format!("{}/https_embeddings.py", env!("CARGO_MANIFEST_DIR"));
    let _server = cxone_e2e::Running(
        std::process::Command::new("python3")
            .args([
                &script,
                &port.to_string(),
                &format!("{d}/server.pem"),
                &format!("{d}/server.key"),
                "sk-https-test",
            ])
            .spawn()
            .unwrap(),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let db = TestDb::new();
    db.set(
        "cxone.embeddings_url",
        &format!("https://127.0.0.1:{port}/v1/embeddings"),
    );
    use_embeddings_key(&db, "sk-https-test");
    let err = db
        .connect()
        .query_one("SELECT cxone_embed('hello')::text", &[])
        .unwrap_err();
    let err = format!("{err} {:?}", err.as_db_error().map(|e| e.message()));
    assert!(err.contains("cannot get an embedding"), "{err}");
    db.set("cxone.embeddings_ca_file", &format!("{d}/ca.pem"));
    let dims: i32 = scalar(
        &mut db.connect(),
        "SELECT vector_dims(cxone_embed('hello'))",
        &[],
    );
    assert_eq!(dims, 384);
    let _ = std::fs::remove_dir_all(&dir);
    record_attack(
        "query embeddings over https with a private CA",
        "superuser configuration",
        "untrusted certificate refused; with cxone.embeddings_ca_file the key goes over TLS",
        "refused without the CA; 384 dims with it",
    );
}
