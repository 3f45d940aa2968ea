-- cxone_vector: retention of raw payloads. cxone_payloads keeps every payload as sent, which may
-- hold personal data even when cxone.redact is on; with cxone.payload_retention_days = N (set by
-- a superuser, e.g. ALTER DATABASE ... SET cxone.payload_retention_days = 30) payloads older than
-- N days are deleted by cxone_retention_due(), which the sidecar calls about once a minute (or
-- pg_cron, or an admin). What was derived from them stays: messages, conversations, queue rows,
-- vectors and replay keys (a late replay of a deleted payload is still a replay).

-- Payloads arrive in received_at order, so a BRIN index finds the old ones for almost no cost
-- at insert time.
CREATE INDEX cxone_payloads_received_brin ON cxone_payloads USING brin (received_at);

-- Deletes up to `max_payloads` raw payloads older than the retention period, oldest first;
-- returns how many. Deletes none when cxone.payload_retention_days is 0 (the default) or was
-- set by a role that is not a superuser.
CREATE FUNCTION cxone_retention_due(max_payloads integer DEFAULT 10000) RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    days integer := @extschema@._cxone_payload_retention_days();
    deleted bigint;
BEGIN
    -- Lines seen in too few conversations to be boilerplate, not seen for a week, are
    -- forgotten (sql/boilerplate.sql): the counts stay about a week of distinct lines.
    DELETE FROM @extschema@._cxone_boilerplate b
     WHERE b.last_seen < now() - interval '7 days'
       AND b.conversations < greatest(@extschema@._cxone_boilerplate_min_conversations(), 1);
    IF days <= 0 THEN
        RETURN 0;
    END IF;
    DELETE FROM @extschema@.cxone_payloads p
     WHERE p.id IN (SELECT o.id FROM @extschema@.cxone_payloads o
                     WHERE o.received_at < now() - make_interval(days => days)
                     ORDER BY o.received_at
                     LIMIT max_payloads);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$$;

REVOKE EXECUTE ON FUNCTION cxone_retention_due(integer), _cxone_payload_retention_days() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_retention_due(integer) TO cxone_sidecar, cxone_admin;
