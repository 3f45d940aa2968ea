-- The sidecar's login: a role that has only the grants of cxone_sidecar (claim, write back and
-- read the queue; store webhook payloads and read their outcomes). Not a superuser, cannot
-- create roles or databases, cannot read raw payloads or superuser-only settings such as
-- cxone.embeddings_api_key. scripts/cluster.sh runs this file; on your own server run it once
-- per cluster after CREATE EXTENSION, then give the role a password:
--   ALTER ROLE cxone_sidecar_login PASSWORD '...';
-- and point the sidecar at it: DATABASE_URL=postgres://cxone_sidecar_login:...@host/db
DO $login$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'cxone_sidecar_login') THEN
        CREATE ROLE cxone_sidecar_login LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
            NOBYPASSRLS INHERIT IN ROLE cxone_sidecar;
    END IF;
END
$login$;
