-- cxone_vector 0.2.0 -> 0.3.0: closing the doors of the security review (README "Security model"),
-- real CXone traffic: messages recorded once each and assembled into conversations; and the
-- embedding queue's protocol as functions (cxone_queue_*), the sidecar's only way to the queue;
-- retention of raw payloads (cxone.payload_retention_days, cxone_retention_due); search quality:
-- boilerplate left out of embedded text, keyword and hybrid search, snippets (adding the keyword
-- column rewrites conversation_embeddings once, under an exclusive lock).
-- Everything else of 0.3.0 is in the library: the schema found from the catalogs, owner-only
-- settings trusted only when a superuser set them, the API key read from a file, message events.

-- Clients supply only the payload and its source.
REVOKE INSERT ON cxone_payloads FROM cxone_ingest, cxone_sidecar;
GRANT INSERT (source, payload) ON cxone_payloads TO cxone_ingest, cxone_sidecar;

-- The sidecar reaches the queue through the protocol's functions only (at the end).
REVOKE SELECT, UPDATE ON conversation_embeddings FROM cxone_sidecar;

-- cxone_admin members who are not superusers can create a model's index (and so cxone_reembed).
-- Owner's rights: only the table's owner can index it, and cxone_admin members may.
CREATE OR REPLACE FUNCTION cxone_create_index(model text, dims integer) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    name text := 'conversation_embeddings_hnsw_' || substr(md5(model), 1, 12);
    vector_schema name := (SELECT n.nspname FROM pg_catalog.pg_extension e
                             JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector');
BEGIN
    IF dims < 1 OR dims > 4000 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('HNSW indexes on halfvec take 1 to 4000 dimensions, not %s', dims);
    END IF;
    -- halfvec and its operator class are pgvector's, named by its schema (the search_path
    -- of this owner-rights function is pg_catalog only).
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON @extschema@.conversation_embeddings
                    USING hnsw ((embedding::%I.halfvec(%s)) %I.halfvec_cosine_ops)
                    WHERE model = %L AND status = ''embedded''', name, vector_schema, dims, vector_schema, model);
    RETURN name;
END
$$;


-- Only superusers set aside the active model's index; other roles only a building model's.
-- Superusers may set aside any model's indexes; other roles (the sidecar, cxone_admin) only
-- those of a model being built (cxone_reembed), so that nobody else can slow down the
-- searches of the active model.
CREATE OR REPLACE FUNCTION cxone_index_defer(model text) RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = current_user AND r.rolsuper) THEN
        RETURN @extschema@._cxone_index_set_aside(model);
    END IF;
    RETURN @extschema@._cxone_index_defer_building(model);
END
$$;

CREATE FUNCTION _cxone_index_defer_building(model text) RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.cxone_models m
                    WHERE m.model = _cxone_index_defer_building.model AND m.state = 'building') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('only a superuser can set aside the index of model %L: it is not being built', model),
            HINT = 'backfill --defer-index is for a model started with cxone_reembed; run it as a superuser for the active model';
    END IF;
    RETURN @extschema@._cxone_index_set_aside(model);
END
$$;

CREATE FUNCTION _cxone_index_set_aside(model text) RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_am a ON a.oid = c.relam
         WHERE i.indrelid = '@extschema@.conversation_embeddings'::regclass AND a.amname = 'hnsw'
           AND position(format('(model = %L::text)', _cxone_index_set_aside.model)
                        IN coalesce(pg_get_expr(i.indpred, i.indrelid), '')) > 0
    LOOP
        INSERT INTO @extschema@._cxone_deferred_indexes (name, model, definition)
        VALUES (r.name, _cxone_index_set_aside.model, r.definition);
        EXECUTE format('DROP INDEX %s', r.name);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

REVOKE EXECUTE ON FUNCTION _cxone_index_defer_building(text), _cxone_index_set_aside(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _cxone_index_defer_building(text) TO cxone_admin, cxone_sidecar;

-- Functions that cost CPU or provider calls are for the extension's roles, not PUBLIC.
REVOKE EXECUTE ON FUNCTION cxone_map(jsonb, jsonb), cxone_tag(text), cxone_redact(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_map(jsonb, jsonb), cxone_tag(text), cxone_redact(text) TO cxone_ingest, cxone_reader, cxone_admin;
REVOKE EXECUTE ON FUNCTION cxone_embed(text), _cxone_embed_array(text, text), cxone_search(text, integer, jsonb),
    cxone_similar(text, integer), _cxone_nearest(vector, integer, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_embed(text), _cxone_embed_array(text, text), cxone_search(text, integer, jsonb),
    cxone_similar(text, integer), _cxone_nearest(vector, integer, jsonb, text, text) TO cxone_reader, cxone_admin;

-- Message events: cxone_payloads records them as 'recorded'.
ALTER TABLE cxone_payloads DROP CONSTRAINT cxone_payloads_outcome_check,
    ADD CONSTRAINT cxone_payloads_outcome_check
    CHECK (outcome IN ('queued', 'recorded', 'skipped', 'invalid', 'duplicate'));

-- Messages, each recorded once by its id (the ingest trigger, extension/src/record.rs): the
-- text as sent (raw, like the payloads: only cxone_admin reads it), empty once CXone erased it.
CREATE TABLE cxone_messages (
    conversation_id text NOT NULL,
    message_id      text NOT NULL,
    -- the payload that recorded this version of the message
    payload_id      bigint NOT NULL,
    speaker         text NOT NULL CHECK (speaker IN ('customer', 'agent', 'bot', 'survey')),
    body            text NOT NULL,
    -- createdAtWithMilliseconds (else createdAt): the message's place in its conversation
    created_at      timestamptz,
    -- contentRemoved.reason (GDPR, TTL, other) once erased; the body is then empty for good
    removed         text,
    -- when this version was sent: an older update never replaces a newer one
    version_at      timestamptz,
    -- direction, sentiment, agent_id: ids and flags, never names or addresses
    facts           jsonb NOT NULL DEFAULT '{}',
    -- a MessageUpdated replaced (or erased) the text first recorded
    edited          boolean NOT NULL DEFAULT false,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, message_id),
    CONSTRAINT cxone_messages_removed_has_no_text CHECK (removed IS NULL OR body = '')
);
COMMENT ON TABLE cxone_messages IS 'CXone messages, one row per message id, assembled into conversations in created_at order.';

-- One row per conversation (CXone case) with messages: its case status and facts, and whether
-- it changed since it was last assembled (pending_since). Assembled when its case reaches a
-- closing status, when a message is erased, or after quiet time (cxone_assemble_due).
CREATE TABLE cxone_conversations (
    conversation_id text PRIMARY KEY,
    source_system   text NOT NULL,
    -- the mapping its messages were recorded under: labels, closing statuses and quiet time
    -- come from its "messages" rules, whichever session assembles it
    mapping         text NOT NULL,
    status          text,
    status_at       timestamptz,
    -- channel, platform, media type, queue, brand, tenant, business unit, direction, case status
    facts           jsonb NOT NULL DEFAULT '{}',
    -- the payload of the last change that made it due: the provenance of its queued rows
    last_payload_id bigint NOT NULL,
    -- the newest payload that recorded, replaced or erased one of its messages
    messages_payload_id bigint,
    erased          boolean NOT NULL DEFAULT false,
    changed_at      timestamptz NOT NULL DEFAULT now(),
    pending_since   timestamptz,
    assembled_at    timestamptz
);
COMMENT ON TABLE cxone_conversations IS 'Conversations assembled from cxone_messages: case status and facts, and when they changed and were assembled.';
CREATE INDEX cxone_conversations_pending_idx ON cxone_conversations (changed_at) WHERE pending_since IS NOT NULL;

SELECT pg_catalog.pg_extension_config_dump('cxone_messages', '');
SELECT pg_catalog.pg_extension_config_dump('cxone_conversations', '');
REVOKE ALL ON cxone_messages, cxone_conversations FROM PUBLIC;
GRANT SELECT ON cxone_conversations TO cxone_reader, cxone_ingest;
GRANT SELECT, INSERT, UPDATE, DELETE ON cxone_messages, cxone_conversations TO cxone_admin;

-- The seeded default mapping gains its "messages" rules, unless it was edited.
UPDATE cxone_mappings SET mapping = _cxone_seed('default_mapping'), updated_at = now()
 WHERE name = 'default' AND mapping = (_cxone_seed('default_mapping') - 'messages');

-- Assembles the conversations that have been quiet long enough (extension/src/ingest/assemble.rs).
CREATE FUNCTION cxone_assemble_due(max_conversations integer DEFAULT 1000) RETURNS bigint
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'cxone_assemble_due_wrapper';
ALTER FUNCTION cxone_assemble_due(integer) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION cxone_assemble_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_assemble_due(integer) TO cxone_sidecar, cxone_admin;

-- Conversation ids as stored (pseudonyms of ids holding PII when cxone.redact is on):
-- cxone_forget and cxone_similar accept either form, and forget deletes messages too.
CREATE FUNCTION cxone_stored_id(conversation_id text) RETURNS text
STRICT STABLE PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'cxone_stored_id_wrapper';

CREATE OR REPLACE FUNCTION cxone_forget(conversation_id text, with_payloads boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql VOLATILE STRICT
AS $$
DECLARE
    rows_deleted bigint;
    messages_deleted bigint;
    stored text;
    keys_deleted bigint := 0;
    payloads_deleted bigint := 0;
BEGIN
    stored := @extschema@.cxone_stored_id(cxone_forget.conversation_id);
    -- First the conversation's row: an assembly running now holds it, and its rows are then
    -- committed (and deleted below) before this goes on.
    PERFORM 1 FROM @extschema@.cxone_conversations c
      WHERE c.conversation_id IN (cxone_forget.conversation_id, stored) ORDER BY c.conversation_id FOR UPDATE;
    DELETE FROM @extschema@.conversation_embeddings e WHERE e.conversation_id IN (cxone_forget.conversation_id, stored);
    GET DIAGNOSTICS rows_deleted = ROW_COUNT;
    -- Messages and the conversation's record are derived from the payloads too.
    DELETE FROM @extschema@.cxone_messages m WHERE m.conversation_id IN (cxone_forget.conversation_id, stored);
    GET DIAGNOSTICS messages_deleted = ROW_COUNT;
    DELETE FROM @extschema@.cxone_conversations c WHERE c.conversation_id IN (cxone_forget.conversation_id, stored);
    IF with_payloads THEN
        DELETE FROM @extschema@._cxone_event_keys k
         USING @extschema@.cxone_payloads p
         WHERE k.payload_id = p.id AND p.conversation_id IN (cxone_forget.conversation_id, stored);
        GET DIAGNOSTICS keys_deleted = ROW_COUNT;
        DELETE FROM @extschema@.cxone_payloads p WHERE p.conversation_id IN (cxone_forget.conversation_id, stored);
        GET DIAGNOSTICS payloads_deleted = ROW_COUNT;
    END IF;
    RETURN jsonb_build_object('conversation_rows', rows_deleted, 'messages', messages_deleted,
                              'event_keys', keys_deleted, 'payloads', payloads_deleted);
END
$$;


CREATE OR REPLACE FUNCTION cxone_similar(conversation text, k integer DEFAULT 10)
RETURNS TABLE (conversation_id text, text_content text, similarity double precision,
               semantic_metadata jsonb, chunk_index integer, id uuid)
LANGUAGE plpgsql STABLE STRICT
SET hnsw.iterative_scan = 'relaxed_order'
SET hnsw.ef_search = 100
AS $$
DECLARE
    q vector;
    active_model text := (SELECT m.model FROM @extschema@.cxone_models m WHERE m.state = 'active');
BEGIN
    SELECT e.embedding INTO q FROM @extschema@.conversation_embeddings e
     WHERE e.conversation_id IN (cxone_similar.conversation, @extschema@.cxone_stored_id(cxone_similar.conversation))
       AND e.model = active_model AND e.status = 'embedded'
     ORDER BY e.chunk_index LIMIT 1;
    IF q IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('conversation %L has no embedded row for model %L', cxone_similar.conversation, active_model);
    END IF;
    RETURN QUERY SELECT * FROM @extschema@._cxone_nearest(q, k, '{}', @extschema@.cxone_stored_id(cxone_similar.conversation), active_model);
END
$$;

-- The embedding queue's protocol, version 1 (sql/queue.sql says how a worker uses it).
-- The version of the queue protocol this extension speaks.
CREATE FUNCTION cxone_queue_protocol() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 1 $$;

-- Leases up to `max_rows` pending rows meant for `model`, oldest due first, for `lease_seconds`;
-- counts an attempt for each. `text_content` is the text to embed: the row's text without its
-- boilerplate lines (sql/boilerplate.sql), whose counts the rows claimed for the first time
-- update first. `reuse` is the vector `model` already made for the same stored text, if any
-- (identical text is embedded once: write it back without calling the provider).
CREATE FUNCTION cxone_queue_claim(model text, max_rows integer, lease_seconds double precision)
RETURNS TABLE (id uuid, text_content text, reuse vector)
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    claimed uuid[];
    first_claims uuid[];
    min_conversations integer := @extschema@._cxone_boilerplate_min_conversations();
BEGIN
    EXECUTE $q$
    WITH c AS (
        SELECT e.id FROM @extschema@.conversation_embeddings e
         WHERE e.status = 'pending' AND e.target_model = $3 AND e.next_attempt_at <= now()
           AND (e.lease_until IS NULL OR e.lease_until < now()
                OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.pid = e.leased_by))
         ORDER BY e.next_attempt_at
         LIMIT $1
           FOR UPDATE SKIP LOCKED),
    u AS (
        UPDATE @extschema@.conversation_embeddings e
           SET lease_until = now() + pg_catalog.make_interval(secs => $2), leased_by = pg_catalog.pg_backend_pid(),
               attempts = e.attempts + 1
          FROM c WHERE e.id = c.id
        RETURNING e.id, e.attempts)
    SELECT pg_catalog.array_agg(u.id), pg_catalog.array_agg(u.id) FILTER (WHERE u.attempts = 1) FROM u
    $q$ INTO claimed, first_claims USING max_rows, lease_seconds, model;
    IF claimed IS NULL THEN
        RETURN;
    END IF;
    IF min_conversations > 0 AND first_claims IS NOT NULL THEN
        PERFORM @extschema@._cxone_boilerplate_count(first_claims);
    END IF;
    RETURN QUERY EXECUTE $q$
    SELECT e.id, @extschema@._cxone_embed_text(e.text_content, $3),
           -- One probe of the reuse index per row. (As a join, the planner costed md5() as
           -- cheap and hashed every embedded row's text instead: a scan that grew with the
           -- table, 38 ms per claim at 20,000 rows.)
           (SELECT r.embedding FROM @extschema@.conversation_embeddings r
             WHERE r.model = $2 AND r.status = 'embedded'
               AND md5(r.text_content) = md5(e.text_content) AND r.text_content = e.text_content
             LIMIT 1)
      FROM @extschema@.conversation_embeddings e
     WHERE e.id = ANY ($1)
    $q$ USING claimed, model, min_conversations;
END
$$;

-- The vectors `model` has already made for any of `texts` (texts with none are left out): the
-- claim's reuse probe again, for texts whose first rows were written after the claim ran.
CREATE FUNCTION cxone_queue_reusable(model text, texts text[])
RETURNS TABLE (text_content text, embedding vector)
LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY EXECUTE $q$
    SELECT t.t, r.embedding FROM unnest($2) AS t(t)
      JOIN LATERAL (SELECT r.embedding FROM @extschema@.conversation_embeddings r
                     WHERE r.model = $1 AND r.status = 'embedded'
                       AND md5(r.text_content) = md5(t.t) AND r.text_content = t.t
                     LIMIT 1) r ON true
    $q$ USING model, texts;
END
$$;

-- Writes `vectors[i]` into row `ids[i]` as made by `model`, for the rows still leased to this
-- connection; older embedded rows of the same conversations (from earlier payloads) become
-- superseded now that the newer text is searchable. Returns the rows written.
CREATE FUNCTION cxone_queue_write(model text, ids uuid[], vectors vector[]) RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    written bigint;
    places text;
BEGIN
    IF pg_catalog.cardinality(ids) <> pg_catalog.cardinality(vectors) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('cxone_queue_write: %s ids but %s vectors', pg_catalog.cardinality(ids), pg_catalog.cardinality(vectors)),
            HINT = 'pass one vector per id, in the same order';
    END IF;
    -- Each id's place in the batch, as an object: found by binary search per row.
    SELECT pg_catalog.jsonb_object_agg(i.id, i.n)::text INTO places
      FROM unnest(ids) WITH ORDINALITY AS i(id, n);
    -- Plans here are made on statistics that never see leased rows (ANALYZE runs between
    -- batches, when the leases are gone), so every estimate says "one row". Two shapes that
    -- such plans made quadratic are avoided:
    -- - no join between the rows and the batch: a nested loop rescanned the unnested batch
    --   once per row (4 million comparisons per 2,000 rows, 560 ms); each row finds its
    --   vector's place through the jsonb object above (array_position compared each row's id
    --   with half the batch on average: 30 of 115 ms per 2,000 rows);
    -- - `status || ''` instead of `status`: a condition no partial index can prove, so the scan
    --   cannot be the pending index (every pending row, per batch) or, for the superseded step,
    --   the reuse index (every embedded row, per batch); rows are found by primary key and by
    --   conversation.
    EXECUTE $q$
    WITH done AS (
        UPDATE @extschema@.conversation_embeddings e
           SET embedding = $2[(($4::jsonb) ->> e.id::text)::int],
               status = 'embedded', model = $3, embedded_at = now(),
               lease_until = NULL, leased_by = NULL, last_error = NULL
         WHERE e.id = ANY ($1)
           AND (e.status || '') = 'pending' AND e.leased_by = pg_catalog.pg_backend_pid()
        RETURNING e.conversation_id, e.payload_id),
     old AS (
        UPDATE @extschema@.conversation_embeddings o SET status = 'superseded'
         WHERE o.conversation_id = ANY (ARRAY(SELECT conversation_id FROM done))
           AND (o.conversation_id, o.payload_id) NOT IN (SELECT conversation_id, payload_id FROM done)
           AND (o.status || '') = 'embedded' AND o.target_model = $3
        RETURNING 1)
    -- (a data-modifying WITH runs whether or not it is read)
    SELECT count(*) FROM done
    $q$ INTO written USING ids, vectors, model, coalesce(places, '{}');
    RETURN written;
END
$$;

-- Gives rows back after a failed request: failed for good when `permanent` or when a row has
-- had `max_attempts` attempts (its error then says so), otherwise pending again after
-- `retry_after_seconds`. `error` is stored as the rows' last_error: no secrets or customer text.
-- Returns how many rows are now failed.
CREATE FUNCTION cxone_queue_fail(ids uuid[], error text, permanent boolean, max_attempts integer, retry_after_seconds double precision)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    failed bigint;
BEGIN
    EXECUTE $q$
    WITH f AS (
        UPDATE @extschema@.conversation_embeddings
           SET status = CASE WHEN $3 OR attempts >= $4 THEN 'failed' ELSE 'pending' END,
               last_error = CASE WHEN $3 OR attempts < $4 THEN $2
                                 ELSE 'gave up after ' || attempts || ' attempts: ' || $2 END,
               next_attempt_at = now() + pg_catalog.make_interval(secs => $5),
               lease_until = NULL, leased_by = NULL
         WHERE id = ANY ($1) AND status = 'pending' AND leased_by = pg_catalog.pg_backend_pid()
        RETURNING status)
    SELECT count(*) FILTER (WHERE status = 'failed') FROM f
    $q$ INTO failed USING ids, error, permanent, max_attempts, retry_after_seconds;
    RETURN failed;
END
$$;

-- Gives leased rows back untouched (a worker shutting down): the attempt is not counted.
-- Returns the rows released.
CREATE FUNCTION cxone_queue_release(ids uuid[]) RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    released bigint;
BEGIN
    UPDATE @extschema@.conversation_embeddings
       SET lease_until = NULL, leased_by = NULL, attempts = greatest(attempts - 1, 0)
     WHERE id = ANY (ids) AND status = 'pending' AND leased_by = pg_catalog.pg_backend_pid();
    GET DIAGNOSTICS released = ROW_COUNT;
    RETURN released;
END
$$;

-- Rows pending for `model` (leased or not, due or not).
CREATE FUNCTION cxone_queue_depth(model text) RETURNS bigint
LANGUAGE sql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT count(*) FROM @extschema@.conversation_embeddings e
     WHERE e.status = 'pending' AND e.target_model = $1
$$;

-- When `model` is being built (cxone_reembed) and nothing is left pending for it, makes it the
-- active model. Returns true when the switch happened now.
CREATE FUNCTION cxone_queue_finish(model text) RETURNS boolean
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._cxone_finish_building($1) $$;

REVOKE EXECUTE ON FUNCTION cxone_queue_claim(text, integer, double precision),
    cxone_queue_reusable(text, text[]), cxone_queue_write(text, uuid[], vector[]),
    cxone_queue_fail(uuid[], text, boolean, integer, double precision),
    cxone_queue_release(uuid[]), cxone_queue_depth(text), cxone_queue_finish(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_queue_claim(text, integer, double precision),
    cxone_queue_reusable(text, text[]), cxone_queue_write(text, uuid[], vector[]),
    cxone_queue_fail(uuid[], text, boolean, integer, double precision),
    cxone_queue_release(uuid[]), cxone_queue_depth(text), cxone_queue_finish(text)
    TO cxone_sidecar, cxone_admin;

-- Retention of raw payloads (sql/retention.sql).
CREATE FUNCTION _cxone_payload_retention_days() RETURNS integer
STRICT STABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', '_cxone_payload_retention_days_wrapper';
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

-- cxone_redact follows cxone.redact_types and cxone.redact_agent_names: stable, not immutable.
ALTER FUNCTION cxone_redact(text) STABLE;

-- Search quality (issue #18): boilerplate left out of the embedded text (sql/boilerplate.sql),
-- keyword search and snippets (sql/keyword.sql), cxone_search in three modes (sql/search.sql).
CREATE FUNCTION _cxone_boilerplate_min_conversations() RETURNS integer
STRICT STABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', '_cxone_boilerplate_min_conversations_wrapper';

CREATE TABLE _cxone_boilerplate (
    line_hash         bigint PRIMARY KEY,
    -- distinct conversations the line was seen in (consecutive rows of one conversation count once)
    conversations     integer NOT NULL DEFAULT 1,
    last_conversation bigint NOT NULL,
    last_seen         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE _cxone_boilerplate IS 'How many conversations each line (by hash) was seen in: lines seen in many are left out of embedded text.';

-- A line's identity: its text without a leading [timestamp] prefix, lower-cased, whitespace
-- collapsed; the first 64 bits of its MD5 (stable across PostgreSQL versions, unlike hashtext).
CREATE FUNCTION _cxone_line_hash(line text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT ('x' || pg_catalog.substr(pg_catalog.md5(pg_catalog.lower(pg_catalog.btrim(
           pg_catalog.regexp_replace(pg_catalog.regexp_replace(line, '^\[[^]]*\]\s*', ''), '\s+', ' ', 'g')))), 1, 16))::bit(64)::bigint
$$;

-- Counts the lines of the rows `ids` (their conversations), each line once per conversation.
CREATE FUNCTION _cxone_boilerplate_count(ids uuid[]) RETURNS void
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
INSERT INTO @extschema@._cxone_boilerplate AS b (line_hash, conversations, last_conversation)
SELECT s.h, s.n, s.conv FROM (
    SELECT @extschema@._cxone_line_hash(l.line) AS h,
           count(DISTINCT @extschema@._cxone_line_hash(e.conversation_id))::integer AS n,
           max(@extschema@._cxone_line_hash(e.conversation_id)) AS conv
      FROM @extschema@.conversation_embeddings e,
           regexp_split_to_table(e.text_content, E'\n') AS l(line)
     WHERE e.id = ANY (ids) AND btrim(l.line) <> ''
     GROUP BY 1) s
 -- one order for every session, so two claims never wait on each other in a circle
 ORDER BY s.h
ON CONFLICT (line_hash) DO UPDATE
   SET conversations = b.conversations + EXCLUDED.conversations,
       last_conversation = EXCLUDED.last_conversation, last_seen = now()
 WHERE b.last_conversation <> EXCLUDED.last_conversation OR EXCLUDED.conversations > 1
$$;

-- The text to embed for `text`: its lines seen in at least `min_conversations` conversations
-- left out; the whole text when that would leave nothing, or when min_conversations is 0.
CREATE FUNCTION _cxone_embed_text(text text, min_conversations integer) RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
SELECT CASE WHEN min_conversations <= 0 THEN text
            ELSE coalesce(nullif((
                SELECT string_agg(l.line, E'\n' ORDER BY l.n)
                  FROM regexp_split_to_table(text, E'\n') WITH ORDINALITY AS l(line, n)
                 WHERE NOT EXISTS (SELECT 1 FROM @extschema@._cxone_boilerplate b
                                    WHERE b.line_hash = @extschema@._cxone_line_hash(l.line)
                                      AND b.conversations >= min_conversations)), ''), text)
       END
$$;

-- Whether `line` is boilerplate now (for snippets, and for looking at what is left out).
-- Owner's rights: it answers only yes or no, for a line the caller already has.
CREATE FUNCTION cxone_is_boilerplate(line text) RETURNS boolean
LANGUAGE sql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
SELECT @extschema@._cxone_boilerplate_min_conversations() > 0 AND EXISTS (
    SELECT 1 FROM @extschema@._cxone_boilerplate b
     WHERE b.line_hash = @extschema@._cxone_line_hash(line)
       AND b.conversations >= @extschema@._cxone_boilerplate_min_conversations())
$$;

REVOKE ALL ON _cxone_boilerplate FROM PUBLIC;
GRANT SELECT ON _cxone_boilerplate TO cxone_admin;
REVOKE EXECUTE ON FUNCTION _cxone_boilerplate_count(uuid[]), _cxone_embed_text(text, integer),
    _cxone_boilerplate_min_conversations() FROM PUBLIC;

CREATE TEXT SEARCH CONFIGURATION cxone_text (COPY = pg_catalog.english);

-- The identifiers in `text` (tokens with a digit, five or more letters and digits once their
-- separators are dropped), each written without separators: "112-4455667-8899010" gives
-- 11244556678899010, so an identifier matches typed with its dashes, slashes or dots or without
-- them, and only whole (never a year or an amount such as 42.50).
CREATE FUNCTION _cxone_identifiers(text text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT coalesce(pg_catalog.string_agg(i.id, ' '), '') FROM (
    SELECT pg_catalog.lower(pg_catalog.regexp_replace(m[1], '[-_/.#:]', '', 'g')) AS id
      FROM pg_catalog.regexp_matches(text, '([[:alnum:]]+(?:[-_/.:][[:alnum:]]+)*)', 'g') AS m
     WHERE m[1] ~ '[0-9]' AND pg_catalog.length(pg_catalog.regexp_replace(m[1], '[-_/.#:]', '', 'g')) >= 5) i
$$;

-- The indexed document of a row's text: its words (redaction placeholders such as [EMAIL] left
-- out, so that redacted conversations do not all match "email") and its identifiers whole.
CREATE FUNCTION _cxone_keyword_doc(text text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT pg_catalog.to_tsvector('@extschema@.cxone_text'::pg_catalog.regconfig,
                              pg_catalog.regexp_replace(text, '\[[A-Z_]+\]', ' ', 'g'))
    OPERATOR(pg_catalog.||) pg_catalog.to_tsvector('pg_catalog.simple'::pg_catalog.regconfig, @extschema@._cxone_identifiers(text))
$$;

-- Each embedded row's document, stored with the row: PostgreSQL computes it when the sidecar
-- writes the row's vector (NULL while the row is queued, so the ingest trigger pays nothing),
-- and keyword search matches and ranks from it without parsing the text again, which keeps a
-- search under a selective metadata filter fast.
ALTER TABLE conversation_embeddings ADD COLUMN keyword_doc tsvector
    GENERATED ALWAYS AS (CASE WHEN status = 'embedded' THEN @extschema@._cxone_keyword_doc(text_content) END) STORED;
CREATE INDEX conversation_embeddings_keyword_idx ON conversation_embeddings
    USING gin (keyword_doc) WHERE status = 'embedded';

-- The query keyword search runs for `query`: all its words (websearch syntax: "quoted
-- phrases", -excluded, or), or any one of its identifiers; with `any_word`, any of its words.
CREATE FUNCTION _cxone_keyword_query(query text, any_word boolean) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT CASE WHEN any_word THEN
           (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(w), ' | ')
              FROM pg_catalog.unnest(pg_catalog.tsvector_to_array(
                       pg_catalog.to_tsvector('@extschema@.cxone_text'::pg_catalog.regconfig, query)
                       OPERATOR(pg_catalog.||) pg_catalog.to_tsvector('pg_catalog.simple'::pg_catalog.regconfig, @extschema@._cxone_identifiers(query)))) AS w)::pg_catalog.tsquery
       WHEN @extschema@._cxone_identifiers(query) = '' THEN
           pg_catalog.websearch_to_tsquery('@extschema@.cxone_text'::pg_catalog.regconfig, query)
       ELSE pg_catalog.websearch_to_tsquery('@extschema@.cxone_text'::pg_catalog.regconfig, query)
            OPERATOR(pg_catalog.||) pg_catalog.replace(pg_catalog.plainto_tsquery('pg_catalog.simple'::pg_catalog.regconfig,
                                          @extschema@._cxone_identifiers(query))::text, '&', '|')::pg_catalog.tsquery
       END
$$;

-- How many embedded rows of `model` match `tsq`, counting up to `cap` (through the index).
CREATE FUNCTION _cxone_keyword_matches(tsq tsquery, model text, cap integer) RETURNS integer
LANGUAGE sql STABLE STRICT
AS $$
SELECT pg_catalog.count(*)::integer FROM (
    SELECT 1 FROM @extschema@.conversation_embeddings e
     WHERE e.status = 'embedded' AND e.model = $2
       AND e.keyword_doc OPERATOR(pg_catalog.@@) $1
     LIMIT $3) s
$$;

-- Whether the query's words say exactly what to find, so that hybrid search lets keyword
-- matches take part (only exact ones: all the words, or an identifier): an identifier or a code
-- (112-4455667-8899010, ERR_CONN_RESET), a "quoted phrase", or words all found together in at
-- most n rows when they are a name (a short phrase of content words only: "premium plus",
-- "family share 5g"), a description of six or more content words, or a short search of at most
-- five words one of which alone is that rare ("I was charged twice"). A longer question or
-- sentence in plain words is ranked by meaning alone: on Banking77, letting its word matches
-- take part cost 1.4 points of hit@1, and any-word matches came out at the level of noise
-- against semantic alone (BENCHMARKS.md). A query "has function words" when the english
-- configuration drops some of its words (my, is, what, the): names do not, questions do.
CREATE FUNCTION _cxone_keyword_selective(query text, model text, n integer) RETURNS boolean
LANGUAGE plpgsql STABLE STRICT
AS $$
DECLARE
    all_words tsquery := @extschema@._cxone_keyword_query(query, false);
    words integer := pg_catalog.length(pg_catalog.to_tsvector('pg_catalog.simple'::pg_catalog.regconfig, query));
    content integer := pg_catalog.length(pg_catalog.to_tsvector('@extschema@.cxone_text'::pg_catalog.regconfig, query));
BEGIN
    IF @extschema@._cxone_identifiers(query) <> '' OR query ~ '[[:alnum:]]_[[:alnum:]]' OR position('"' IN query) > 0 THEN
        RETURN true;
    END IF;
    IF coalesce(pg_catalog.numnode(all_words), 0) = 0
       OR @extschema@._cxone_keyword_matches(all_words, model, n + 1) NOT BETWEEN 1 AND n THEN
        RETURN false;
    END IF;
    IF content >= 6 OR (content = words AND words <= 6) THEN
        RETURN true;
    END IF;
    RETURN words <= 5 AND (
        SELECT pg_catalog.min(@extschema@._cxone_keyword_matches(pg_catalog.quote_literal(w)::pg_catalog.tsquery, model, n + 1))
          FROM pg_catalog.unnest(pg_catalog.tsvector_to_array(
                   pg_catalog.to_tsvector('@extschema@.cxone_text'::pg_catalog.regconfig, query))) AS w) <= n;
END
$$;

-- The share of `lexemes` (a query's words as cxone_text makes them, distinct) that `doc` holds:
-- what ts_delete takes out of it.
CREATE FUNCTION _cxone_keyword_coverage(doc tsvector, lexemes text[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT (pg_catalog.length(doc) - pg_catalog.length(pg_catalog.ts_delete(doc, lexemes)))::double precision
       / greatest(pg_catalog.cardinality(lexemes), 1)
$$;

-- The k conversations whose text best matches `query` (best chunk per conversation), among the
-- rows `model` embedded whose metadata contains `filter`, ranked by ts_rank_cd. All of the
-- query's words, or one of its identifiers, must match; with `any_word` and no such match, any
-- word will do, ranked by how many of the query's words a row holds, then by ts_rank_cd (a row
-- that says most of a description beats one that repeats one of its words).
CREATE FUNCTION _cxone_keyword(query text, k integer, filter jsonb, model text, any_word boolean)
RETURNS TABLE (id uuid, conversation_id text, rank integer)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    tsq tsquery;
    lexemes text[] := pg_catalog.tsvector_to_array(pg_catalog.to_tsvector('@extschema@.cxone_text'::pg_catalog.regconfig, query));
BEGIN
    FOR pass IN 1..(CASE WHEN any_word THEN 2 ELSE 1 END) LOOP
        tsq := @extschema@._cxone_keyword_query(query, pass = 2);
        CONTINUE WHEN coalesce(pg_catalog.numnode(tsq), 0) = 0;
        RETURN QUERY
        SELECT b.id, b.conversation_id,
               (pg_catalog.row_number() OVER (ORDER BY b.score DESC, b.conversation_id))::integer
          FROM (SELECT DISTINCT ON (e.conversation_id) e.id, e.conversation_id,
                       (CASE WHEN pass = 2 THEN @extschema@._cxone_keyword_coverage(e.keyword_doc, lexemes) ELSE 0 END
                        + pg_catalog.ts_rank_cd(e.keyword_doc, tsq, 1) / 1000) AS score
                  FROM @extschema@.conversation_embeddings e
                 WHERE e.status = 'embedded' AND e.model = _cxone_keyword.model
                   AND e.keyword_doc OPERATOR(pg_catalog.@@) tsq
                   AND e.semantic_metadata OPERATOR(pg_catalog.@>) filter
                 ORDER BY e.conversation_id, score DESC) b
         ORDER BY b.score DESC, b.conversation_id
         LIMIT k;
        EXIT WHEN FOUND;
    END LOOP;
END
$$;

-- The turns of `text` to show for a result: up to two lines that match `query`'s words
-- (lines that are not boilerplate first), each with its speaker label, the query's words and
-- identifiers marked **like this**, cut to about 30 words; when no line matches (a result found
-- by meaning alone), the first line that is not boilerplate.
CREATE FUNCTION cxone_snippet(text text, query text) RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
WITH q AS (
    SELECT @extschema@._cxone_keyword_query(query, true) AS any_word,
           -- What is marked: the query's words and its phrases whole (an identifier's parts
           -- are marked only where the whole identifier is).
           replace(websearch_to_tsquery('@extschema@.cxone_text'::regconfig, query)::text, ' & ', ' | ')::tsquery AS marked),
lines AS (
    SELECT l.line, l.n, ts_rank_cd(@extschema@._cxone_keyword_doc(l.line), q.any_word) AS score,
           coalesce(@extschema@._cxone_keyword_doc(l.line) @@ q.any_word, false) AS hit,
           @extschema@.cxone_is_boilerplate(l.line) AS boilerplate
      FROM regexp_split_to_table(text, E'\n') WITH ORDINALITY AS l(line, n), q
     WHERE btrim(l.line) <> ''),
picked AS (
    (SELECT line, n FROM lines WHERE hit ORDER BY boilerplate, score DESC, n LIMIT 2)
    UNION ALL
    (SELECT line, n FROM lines
      WHERE NOT EXISTS (SELECT 1 FROM lines WHERE hit) AND NOT boilerplate
      ORDER BY n LIMIT 1))
SELECT coalesce(string_agg(
           -- The label (up to the first ": ") is kept whole; the rest is cut around the marks,
           -- and marks of adjacent pieces of one identifier are joined.
           replace(CASE WHEN position(': ' IN p.line) BETWEEN 1 AND 65
                THEN substr(p.line, 1, position(': ' IN p.line) + 1)
                     || ts_headline('@extschema@.cxone_text'::regconfig, substr(p.line, position(': ' IN p.line) + 2), q.marked,
                                    'StartSel=**, StopSel=**, MaxWords=30, MinWords=12, HighlightAll=false')
                ELSE ts_headline('@extschema@.cxone_text'::regconfig, p.line, q.marked,
                                 'StartSel=**, StopSel=**, MaxWords=30, MinWords=12, HighlightAll=false')
           END, '****', ''), ' … ' ORDER BY p.n),
       left(split_part(text, E'\n', 1), 200))
  FROM picked p, q
$$;

-- Keyword search and snippets cost CPU: for readers and admins, like semantic search.
REVOKE EXECUTE ON FUNCTION _cxone_keyword(text, integer, jsonb, text, boolean), cxone_snippet(text, text),
    _cxone_keyword_matches(tsquery, text, integer), _cxone_keyword_selective(text, text, integer),
    _cxone_keyword_coverage(tsvector, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _cxone_keyword(text, integer, jsonb, text, boolean), cxone_snippet(text, text),
    _cxone_keyword_matches(tsquery, text, integer), _cxone_keyword_selective(text, text, integer),
    _cxone_keyword_coverage(tsvector, text[])
    TO cxone_reader, cxone_admin;

-- cxone_search gains its mode and returns score, found_by and snippet.
DROP FUNCTION cxone_search(text, integer, jsonb);
-- Search: the k conversations that best answer `query` (one row per conversation, its best
-- chunk), among rows whose semantic_metadata contains `filter`, by `mode`:
--   semantic: closest in meaning (the active model's HNSW index, iterative scans keeping k
--             results under a selective filter);
--   keyword:  full-text match (sql/keyword.sql): all the query's words or one of its
--             identifiers, else any word; no embedding call, so it answers while the
--             embedding service is down;
--   hybrid:   both rankings fused by reciprocal rank fusion (RRF): each conversation scores
--             w_semantic / (c + its semantic rank) + w_keyword / (c + its keyword rank), with
--             c = cxone.rrf_k (60) and the weights cxone.hybrid_semantic_weight and
--             cxone.hybrid_keyword_weight (1 and 1); ties go to the keyword match. Keyword
--             matches take part when the query says exactly what to find (an identifier, a
--             code, a quoted phrase, a name: _cxone_keyword_selective), and only exact ones (all
--             words, or an identifier); a question in plain words is ranked by meaning alone.
--             The default, measured best (BENCHMARKS.md).
-- Each result says which method(s) found it (found_by) and carries a snippet: the matching
-- turn(s) with their speaker labels and the query's words **marked**.
CREATE FUNCTION cxone_search(query text, k integer DEFAULT 10, filter jsonb DEFAULT '{}', mode text DEFAULT 'hybrid')
RETURNS TABLE (conversation_id text, text_content text, similarity double precision,
               semantic_metadata jsonb, chunk_index integer, id uuid,
               score double precision, found_by text[], snippet text)
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET hnsw.iterative_scan = 'relaxed_order'
SET hnsw.ef_search = 100
AS $$
DECLARE
    m record;
    q vector;
    used text;
    refusal text;
BEGIN
    IF mode NOT IN ('hybrid', 'semantic', 'keyword') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('mode must be ''hybrid'', ''semantic'' or ''keyword'', not %L', mode);
    END IF;
    IF mode = 'keyword' THEN
        used := (SELECT c.model FROM @extschema@.cxone_models c WHERE c.state = 'active');
    ELSE
        -- The active model; right after a switch (cxone_reembed), while cxone.embeddings_url
        -- still points at a service for the previous model, that retired model keeps answering.
        FOR m IN SELECT c.model FROM @extschema@.cxone_models c WHERE c.state IN ('active', 'retired')
                  ORDER BY c.state = 'active' DESC, c.completed_at DESC LOOP
            BEGIN
                q := @extschema@._cxone_embed_array(query, m.model)::vector;
                used := m.model;
                EXIT;
            EXCEPTION WHEN undefined_object THEN
                refusal := SQLERRM;
            END;
        END LOOP;
    END IF;
    IF used IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42704',
            MESSAGE = coalesce(refusal, 'no active model in cxone_models'),
            HINT = 'point cxone.embeddings_url at a service for the active model (SELECT * FROM cxone_models)';
    END IF;
    RETURN QUERY SELECT * FROM @extschema@._cxone_fuse(q, query, k, filter, mode, used);
END
$$;

-- cxone_search's ranking once the query is embedded (q; NULL in keyword mode): timed on its
-- own by the benchmark, without the embedding call.
CREATE FUNCTION _cxone_fuse(q vector, query text, k integer, filter jsonb, mode text, model text)
RETURNS TABLE (conversation_id text, text_content text, similarity double precision,
               semantic_metadata jsonb, chunk_index integer, id uuid,
               score double precision, found_by text[], snippet text)
LANGUAGE plpgsql STABLE
-- A query of stop words only ("is it?") is no error: no NOTICE that it has no lexemes.
SET client_min_messages = warning
AS $$
DECLARE
    -- Candidates per ranking: k alone, or more for hybrid so that fusion has overlap to use.
    n integer := CASE WHEN mode = 'hybrid' THEN least(greatest(k * 3, 30), 1000) ELSE k END;
    c double precision := coalesce(nullif(current_setting('cxone.rrf_k', true), ''), '60')::double precision;
    w_semantic double precision := coalesce(nullif(current_setting('cxone.hybrid_semantic_weight', true), ''), '1')::double precision;
    w_keyword double precision := coalesce(nullif(current_setting('cxone.hybrid_keyword_weight', true), ''), '1')::double precision;
    sem_ids uuid[] := '{}';
    sem_convs text[] := '{}';
    kw_ids uuid[] := '{}';
    kw_convs text[] := '{}';
BEGIN
    IF k < 1 OR k > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('k must be between 1 and 1000, not %s', k);
    END IF;
    IF mode <> 'keyword' THEN
        SELECT coalesce(array_agg(s.id ORDER BY s.similarity DESC), '{}'),
               coalesce(array_agg(s.conversation_id ORDER BY s.similarity DESC), '{}')
          INTO sem_ids, sem_convs
          FROM @extschema@._cxone_nearest(q, n, filter, NULL, model) s;
    END IF;
    IF mode = 'keyword' OR (mode = 'hybrid' AND @extschema@._cxone_keyword_selective(query, model, n)) THEN
        SELECT coalesce(array_agg(w.id ORDER BY w.rank), '{}'), coalesce(array_agg(w.conversation_id ORDER BY w.rank), '{}')
          INTO kw_ids, kw_convs
          FROM @extschema@._cxone_keyword(query, n, filter, model, mode = 'keyword') w;
    END IF;
    RETURN QUERY
    WITH sem AS (SELECT t.id, t.conv, t.rank FROM unnest(sem_ids, sem_convs) WITH ORDINALITY AS t(id, conv, rank)),
         kw AS (SELECT t.id, t.conv, t.rank FROM unnest(kw_ids, kw_convs) WITH ORDINALITY AS t(id, conv, rank)),
         fused AS (
            SELECT coalesce(kw.id, sem.id) AS id,
                   coalesce(w_semantic / (c + sem.rank), 0) + coalesce(w_keyword / (c + kw.rank), 0) AS score,
                   array_remove(ARRAY[CASE WHEN sem.id IS NOT NULL THEN 'semantic' END,
                                      CASE WHEN kw.id IS NOT NULL THEN 'keyword' END], NULL) AS found_by,
                   kw.rank AS kw_rank, sem.rank AS sem_rank
              FROM sem FULL JOIN kw ON kw.conv = sem.conv
             ORDER BY 2 DESC, kw.rank NULLS LAST, sem.rank NULLS LAST
             LIMIT k)
    SELECT e.conversation_id, e.text_content,
           CASE WHEN q IS NULL THEN NULL ELSE 1 - (e.embedding <=> q) END,
           e.semantic_metadata, e.chunk_index, e.id, f.score, f.found_by,
           @extschema@.cxone_snippet(e.text_content, query)
      FROM fused f JOIN @extschema@.conversation_embeddings e ON e.id = f.id
     ORDER BY f.score DESC, f.kw_rank NULLS LAST, f.sem_rank NULLS LAST;
END
$$;

REVOKE EXECUTE ON FUNCTION cxone_search(text, integer, jsonb, text), _cxone_fuse(vector, text, integer, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_search(text, integer, jsonb, text), _cxone_fuse(vector, text, integer, jsonb, text, text)
    TO cxone_reader, cxone_admin;
