-- cxone_vector: the embedding queue's protocol, version 1. Any worker, in any language, embeds
-- through these functions alone (the sidecar calls nothing else on the queue):
--
--   SELECT cxone_queue_protocol();                         -- 1: refuse to run on anything else
--   SELECT * FROM cxone_queue_claim(model, max_rows, lease_seconds);
--   ... embed the texts (rows with a `reuse` vector need no provider call) ...
--   SELECT cxone_queue_write(model, ids, vectors);         -- or, when the request failed:
--   SELECT cxone_queue_fail(ids, error, permanent, max_attempts, retry_after_seconds);
--   SELECT cxone_queue_release(ids);                       -- shutting down: give rows back
--   SELECT cxone_queue_depth(model);  SELECT cxone_queue_finish(model);
--   SELECT cxone_assemble_due();                           -- the open conversations' clock
--
-- A claim leases rows to the calling connection (its backend pid) for `lease_seconds`; a lease
-- that expired, or whose connection is gone, is taken over at once. Writes, failures and
-- releases touch only rows still leased to the calling connection, so two workers never both
-- write a row. Every function is one short statement: hold no transaction open across a
-- provider call.
--
-- The protocol's version changes only when a function here changes its arguments, results or
-- meaning; functions may be added without a new version. The functions run as the extension's
-- owner with a fixed search_path, so cxone_sidecar needs no rights on the tables themselves.
-- Each statement runs through EXECUTE: planned for its arguments at each call, as a client's
-- own statement would be (a cached generic plan cannot see how many rows a claim asks for).

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
