-- cxone_vector: search, status and maintenance functions.

-- The embedding of a text from cxone.embeddings_url (by default the local sidecar).
CREATE FUNCTION cxone_embed(text) RETURNS vector
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
AS $$ SELECT _cxone_embed_array($1)::vector $$;

-- HNSW cosine index for the local default model. Each model has its own partial index on a
-- cast to its dimension (the column itself has none); cxone_create_index adds one for another.
CREATE INDEX conversation_embeddings_hnsw_all_minilm_l6_v2 ON conversation_embeddings
    USING hnsw ((embedding::vector(384)) vector_cosine_ops)
    WHERE model = 'all-MiniLM-L6-v2' AND status = 'embedded';

-- Creates the HNSW index that search uses for `model` (vectors of `dims` dimensions).
CREATE FUNCTION cxone_create_index(model text, dims integer) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT
AS $$
DECLARE
    name text := 'conversation_embeddings_hnsw_' || substr(md5(model), 1, 12);
BEGIN
    IF dims < 1 OR dims > 2000 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('HNSW indexes take 1 to 2000 dimensions, not %s (use halfvec for larger models)', dims);
    END IF;
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON @extschema@.conversation_embeddings
                    USING hnsw ((embedding::vector(%s)) vector_cosine_ops)
                    WHERE model = %L AND status = ''embedded''', name, dims, model);
    RETURN name;
END
$$;

-- The k conversations closest in meaning to `query` (one row per conversation: its best
-- chunk), among rows whose semantic_metadata contains `filter`. Uses the model's HNSW index;
-- iterative scans keep k results even under a selective filter.
CREATE FUNCTION cxone_search(query text, k integer DEFAULT 10, filter jsonb DEFAULT '{}')
RETURNS TABLE (conversation_id text, text_content text, similarity double precision,
               semantic_metadata jsonb, chunk_index integer, id uuid)
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET hnsw.iterative_scan = 'relaxed_order'
SET hnsw.ef_search = 100
AS $$
DECLARE
    q vector := @extschema@.cxone_embed(query);
BEGIN
    RETURN QUERY SELECT * FROM @extschema@._cxone_nearest(q, k, filter, NULL);
END
$$;

-- The k conversations closest to a stored conversation (by its first chunk). The argument is
-- named `conversation` because `conversation_id` is a result column.
CREATE FUNCTION cxone_similar(conversation text, k integer DEFAULT 10)
RETURNS TABLE (conversation_id text, text_content text, similarity double precision,
               semantic_metadata jsonb, chunk_index integer, id uuid)
LANGUAGE plpgsql STABLE STRICT
SET hnsw.iterative_scan = 'relaxed_order'
SET hnsw.ef_search = 100
AS $$
DECLARE
    q vector;
    active_model text := coalesce(current_setting('cxone.embedding_model', true), 'all-MiniLM-L6-v2');
BEGIN
    SELECT e.embedding INTO q FROM @extschema@.conversation_embeddings e
     WHERE e.conversation_id = cxone_similar.conversation AND e.model = active_model AND e.status = 'embedded'
     ORDER BY e.chunk_index LIMIT 1;
    IF q IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('conversation %L has no embedded row for model %L', cxone_similar.conversation, active_model);
    END IF;
    RETURN QUERY SELECT * FROM @extschema@._cxone_nearest(q, k, '{}', cxone_similar.conversation);
END
$$;

-- The nearest rows to q for the active model, best chunk per conversation, strictly ordered.
CREATE FUNCTION _cxone_nearest(q vector, k integer, filter jsonb, exclude text)
RETURNS TABLE (conversation_id text, text_content text, similarity double precision,
               semantic_metadata jsonb, chunk_index integer, id uuid)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    dims integer := vector_dims(q);
    active_model text := coalesce(current_setting('cxone.embedding_model', true), 'all-MiniLM-L6-v2');
BEGIN
    IF k < 1 OR k > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('k must be between 1 and 1000, not %s', k);
    END IF;
    -- The dimension and model are literals so that the planner matches the model's partial
    -- index; the query vector and filter stay parameters.
    RETURN QUERY EXECUTE format($q$
        WITH hits AS MATERIALIZED (
            SELECT e.id, e.conversation_id, e.text_content, e.semantic_metadata, e.chunk_index,
                   e.embedding::vector(%1$s) <=> $1::vector(%1$s) AS distance
              FROM @extschema@.conversation_embeddings e
             WHERE e.model = %2$L AND e.status = 'embedded' AND e.semantic_metadata @> $2
               AND ($4::text IS NULL OR e.conversation_id <> $4)
             ORDER BY e.embedding::vector(%1$s) <=> $1::vector(%1$s)
             LIMIT $3 * 4),
        best AS (
            SELECT DISTINCT ON (h.conversation_id) h.* FROM hits h ORDER BY h.conversation_id, h.distance)
        SELECT b.conversation_id, b.text_content, 1 - b.distance, b.semantic_metadata, b.chunk_index, b.id
          FROM best b ORDER BY b.distance LIMIT $3
        $q$, dims, active_model)
    USING q, filter, k, exclude;
END
$$;

-- One look at the pipeline: rows per status, the oldest pending row, recent throughput, and the
-- most recent errors.
CREATE VIEW cxone_status AS
SELECT
    (SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM
        (SELECT status, count(*) AS n FROM conversation_embeddings GROUP BY status) s) AS rows_by_status,
    (SELECT coalesce(jsonb_object_agg(outcome, n), '{}') FROM
        (SELECT coalesce(outcome, 'unprocessed') AS outcome, count(*) AS n FROM cxone_payloads GROUP BY 1) p) AS payloads_by_outcome,
    (SELECT now() - min(created_at) FROM conversation_embeddings WHERE status = 'pending') AS oldest_pending_age,
    (SELECT round(count(*) / 5.0, 1) FROM conversation_embeddings
      WHERE status = 'embedded' AND embedded_at > now() - interval '5 minutes') AS embedded_per_minute_5m,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('error', last_error, 'rows', n, 'last_seen', at) ORDER BY at DESC), '[]')
       FROM (SELECT last_error, count(*) AS n, max(next_attempt_at) AS at FROM conversation_embeddings
              WHERE status = 'failed' GROUP BY last_error ORDER BY max(next_attempt_at) DESC LIMIT 5) f) AS last_errors;

-- Puts failed rows back in the queue (all, or those whose error contains `matching`).
CREATE FUNCTION cxone_retry_failed(matching text DEFAULT NULL) RETURNS bigint
LANGUAGE sql VOLATILE
AS $$
    WITH r AS (
        UPDATE @extschema@.conversation_embeddings
           SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL, leased_by = NULL
         WHERE status = 'failed' AND (matching IS NULL OR strpos(last_error, matching) > 0)
        RETURNING 1)
    SELECT count(*) FROM r
$$;

-- Removes everything derived from a conversation (rows, vectors, replay keys) and, with
-- with_payloads, its raw payloads too. Returns what was deleted.
CREATE FUNCTION cxone_forget(conversation_id text, with_payloads boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql VOLATILE STRICT
AS $$
DECLARE
    rows_deleted bigint;
    keys_deleted bigint := 0;
    payloads_deleted bigint := 0;
BEGIN
    DELETE FROM @extschema@.conversation_embeddings e WHERE e.conversation_id = cxone_forget.conversation_id;
    GET DIAGNOSTICS rows_deleted = ROW_COUNT;
    IF with_payloads THEN
        DELETE FROM @extschema@._cxone_event_keys k
         USING @extschema@.cxone_payloads p
         WHERE k.payload_id = p.id AND p.conversation_id = cxone_forget.conversation_id;
        GET DIAGNOSTICS keys_deleted = ROW_COUNT;
        DELETE FROM @extschema@.cxone_payloads p WHERE p.conversation_id = cxone_forget.conversation_id;
        GET DIAGNOSTICS payloads_deleted = ROW_COUNT;
    END IF;
    RETURN jsonb_build_object('conversation_rows', rows_deleted, 'event_keys', keys_deleted, 'payloads', payloads_deleted);
END
$$;

REVOKE EXECUTE ON FUNCTION cxone_retry_failed(text), cxone_forget(text, boolean), cxone_create_index(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_retry_failed(text), cxone_forget(text, boolean), cxone_create_index(text, integer) TO cxone_admin;
GRANT SELECT ON cxone_status TO cxone_reader, cxone_admin;
