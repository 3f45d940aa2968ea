-- cxone_vector: search, status and maintenance functions.

-- The embedding of a text by the active model, from cxone.embeddings_url (by default the
-- local sidecar).
CREATE FUNCTION cxone_embed(text) RETURNS vector
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
AS $$ SELECT @extschema@._cxone_embed_array($1, (SELECT model FROM @extschema@.cxone_models WHERE state = 'active'))::vector $$;

-- HNSW cosine index for the local default model. Each model has its own partial index on a
-- cast to its dimension (the column itself has none); cxone_create_index adds one for another.
-- Indexes hold half-precision copies (halfvec): measured with bench/halfvec.sh (BENCHMARKS.md),
-- half the size for the same recall and latency, and up to 4,000 dimensions instead of 2,000.
-- The table keeps full-precision vectors.
CREATE INDEX conversation_embeddings_hnsw_all_minilm_l6_v2 ON conversation_embeddings
    USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops)
    WHERE model = 'all-MiniLM-L6-v2' AND status = 'embedded';

-- Creates the HNSW index that search uses for `model` (vectors of `dims` dimensions).
-- Owner's rights: only the table's owner can index it, and cxone_admin members may.
CREATE FUNCTION cxone_create_index(model text, dims integer) RETURNS text
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

-- Backfill mode (`cxone-sidecar backfill --defer-index`): loading many vectors into a table
-- whose HNSW index is kept up to date costs an index insertion per row; loading first and
-- building the index once afterwards is several times faster (BENCHMARKS.md, section 2b).
-- cxone_index_defer sets a model's HNSW indexes aside (their definitions are kept here) and
-- cxone_index_restore builds them again. Meanwhile search for that model still answers,
-- exactly and slowly (a sequential scan). If a backfill is interrupted, run
-- SELECT cxone_index_restore('<model>') or the next backfill --defer-index restores them.
CREATE TABLE _cxone_deferred_indexes (
    name        text PRIMARY KEY,
    model       text NOT NULL,
    definition  text NOT NULL,
    deferred_at timestamptz NOT NULL DEFAULT now()
);
SELECT pg_catalog.pg_extension_config_dump('_cxone_deferred_indexes', '');

-- Superusers may set aside any model's indexes; other roles (the sidecar, cxone_admin) only
-- those of a model being built (cxone_reembed), so that nobody else can slow down the
-- searches of the active model.
CREATE FUNCTION cxone_index_defer(model text) RETURNS integer
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

CREATE FUNCTION cxone_index_restore(model text) RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        DELETE FROM @extschema@._cxone_deferred_indexes d
         WHERE d.model = cxone_index_restore.model
        RETURNING d.definition
    LOOP
        EXECUTE r.definition;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

REVOKE ALL ON _cxone_deferred_indexes FROM PUBLIC;
GRANT SELECT ON _cxone_deferred_indexes TO cxone_admin, cxone_sidecar;
REVOKE EXECUTE ON FUNCTION cxone_index_defer(text), _cxone_index_defer_building(text), _cxone_index_set_aside(text),
    cxone_index_restore(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_index_defer(text), _cxone_index_defer_building(text), cxone_index_restore(text)
    TO cxone_admin, cxone_sidecar;

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

-- The nearest rows to q among those embedded by `model`, best chunk per conversation, strictly
-- ordered. A filter that few rows match (fewer than 2,000 of the model's) is searched exactly
-- over those rows, found through the metadata's GIN index: faster than walking the HNSW graph
-- past thousands of rows the filter rejects, and exact (measured in BENCHMARKS.md, section 6).
-- Otherwise the model's HNSW index, whose iterative scan keeps k results under a filter.
CREATE FUNCTION _cxone_nearest(q vector, k integer, filter jsonb, exclude text, model text)
RETURNS TABLE (conversation_id text, text_content text, similarity double precision,
               semantic_metadata jsonb, chunk_index integer, id uuid)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    dims integer := vector_dims(q);
    exact_below constant integer := 2000;
    matching integer := exact_below;
BEGIN
    IF k < 1 OR k > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('k must be between 1 and 1000, not %s', k);
    END IF;
    IF filter IS DISTINCT FROM '{}'::jsonb THEN
        EXECUTE format($c$
            SELECT count(*) FROM (
                SELECT 1 FROM @extschema@.conversation_embeddings e
                 WHERE e.model = %1$L AND e.status = 'embedded' AND e.semantic_metadata @> $1
                 LIMIT %2$s) AS m
            $c$, model, exact_below)
        INTO matching USING filter;
    END IF;
    IF matching < exact_below THEN
        -- MATERIALIZED: the filtered rows first, then exact full-precision distances.
        RETURN QUERY EXECUTE format($q$
            WITH matching AS MATERIALIZED (
                SELECT e.id, e.conversation_id, e.text_content, e.semantic_metadata, e.chunk_index, e.embedding
                  FROM @extschema@.conversation_embeddings e
                 WHERE e.model = %1$L AND e.status = 'embedded' AND e.semantic_metadata @> $2
                   AND ($4::text IS NULL OR e.conversation_id <> $4)),
            best AS (
                SELECT DISTINCT ON (m.conversation_id) m.*, m.embedding <=> $1 AS distance
                  FROM matching m ORDER BY m.conversation_id, m.embedding <=> $1)
            SELECT b.conversation_id, b.text_content, 1 - b.distance, b.semantic_metadata, b.chunk_index, b.id
              FROM best b ORDER BY b.distance LIMIT $3
            $q$, model)
        USING q, filter, k, exclude;
        RETURN;
    END IF;
    -- The dimension and model are literals so that the planner matches the model's partial
    -- index; the query vector and filter stay parameters.
    RETURN QUERY EXECUTE format($q$
        WITH hits AS MATERIALIZED (
            SELECT e.id, e.conversation_id, e.text_content, e.semantic_metadata, e.chunk_index,
                   e.embedding::halfvec(%1$s) <=> $1::halfvec(%1$s) AS distance
              FROM @extschema@.conversation_embeddings e
             WHERE e.model = %2$L AND e.status = 'embedded' AND e.semantic_metadata @> $2
               AND ($4::text IS NULL OR e.conversation_id <> $4)
             ORDER BY e.embedding::halfvec(%1$s) <=> $1::halfvec(%1$s)
             LIMIT $3 * 4),
        best AS (
            SELECT DISTINCT ON (h.conversation_id) h.* FROM hits h ORDER BY h.conversation_id, h.distance)
        SELECT b.conversation_id, b.text_content, 1 - b.distance, b.semantic_metadata, b.chunk_index, b.id
          FROM best b ORDER BY b.distance LIMIT $3
        $q$, dims, model)
    USING q, filter, k, exclude;
END
$$;

-- Switches embedding models without downtime. Registers `model` (vectors of `dims`) as being
-- built, creates its HNSW index, and queues every current conversation row again for it; new
-- payloads are queued for both models meanwhile. A sidecar running that model fills it in while
-- searches keep using the active model; when nothing is left pending for it, the sidecar calls
-- _cxone_finish_building and the switch happens in one transaction. Returns the rows queued.
CREATE FUNCTION cxone_reembed(model text, dims integer) RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
AS $$
DECLARE
    active text;
    queued bigint;
BEGIN
    -- Hold off ingest for the copy, so no payload is queued for one model only.
    LOCK TABLE @extschema@.conversation_embeddings IN SHARE MODE;
    IF EXISTS (SELECT 1 FROM @extschema@.cxone_models m WHERE m.model = cxone_reembed.model) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('model %L is already active or being built; see SELECT * FROM cxone_models', cxone_reembed.model);
    END IF;
    SELECT m.model INTO active FROM @extschema@.cxone_models m WHERE m.state = 'active';
    PERFORM @extschema@.cxone_create_index(cxone_reembed.model, dims);
    INSERT INTO @extschema@.cxone_models (model, state, dims) VALUES (cxone_reembed.model, 'building', dims);
    INSERT INTO @extschema@.conversation_embeddings
           (source_system, conversation_id, text_content, semantic_metadata, payload_id, chunk_index, event_at, created_at, target_model)
    SELECT e.source_system, e.conversation_id, e.text_content, e.semantic_metadata, e.payload_id, e.chunk_index, e.event_at, e.created_at, cxone_reembed.model
      FROM @extschema@.conversation_embeddings e
     WHERE e.target_model = active AND e.status IN ('pending', 'embedded', 'failed');
    GET DIAGNOSTICS queued = ROW_COUNT;
    RETURN queued;
END
$$;

-- Makes a model that is being built the active one once nothing is pending for it: the old
-- model's rows become superseded and searches use the new one from the next query on.
CREATE FUNCTION _cxone_finish_building(model text) RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old text;
BEGIN
    PERFORM 1 FROM @extschema@.cxone_models m WHERE m.model = _cxone_finish_building.model AND m.state = 'building' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.conversation_embeddings e
                WHERE e.target_model = _cxone_finish_building.model AND e.status = 'pending') THEN
        RETURN false;
    END IF;
    SELECT m.model INTO old FROM @extschema@.cxone_models m WHERE m.state = 'active' FOR UPDATE;
    -- The old model gets no more work, but its vectors stay searchable until cxone_drop_model,
    -- so searches answer while query embeddings still come from a service for it.
    UPDATE @extschema@.conversation_embeddings SET status = 'superseded', lease_until = NULL, leased_by = NULL
     WHERE target_model = old AND status IN ('pending', 'failed');
    UPDATE @extschema@.cxone_models SET state = 'retired' WHERE state = 'active';
    UPDATE @extschema@.cxone_models SET state = 'active', completed_at = now() WHERE cxone_models.model = _cxone_finish_building.model;
    RETURN true;
END
$$;

-- Removes a retired model: its rows become superseded and it leaves cxone_models.
CREATE FUNCTION cxone_drop_model(model text) RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
AS $$
DECLARE
    n bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.cxone_models m WHERE m.model = cxone_drop_model.model AND m.state = 'retired') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('model %L is not retired; only a model replaced by cxone_reembed can be dropped', cxone_drop_model.model);
    END IF;
    UPDATE @extschema@.conversation_embeddings SET status = 'superseded'
     WHERE target_model = cxone_drop_model.model AND status <> 'superseded';
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM @extschema@.cxone_models m WHERE m.model = cxone_drop_model.model;
    RETURN n;
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
    (SELECT jsonb_agg(jsonb_build_object('model', m.model, 'state', m.state, 'dims', m.dims,
                                         'embedded', (SELECT count(*) FROM conversation_embeddings e WHERE e.target_model = m.model AND e.status = 'embedded'),
                                         'pending', (SELECT count(*) FROM conversation_embeddings e WHERE e.target_model = m.model AND e.status = 'pending'))
                      ORDER BY m.state, m.model)
       FROM cxone_models m) AS models,
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

REVOKE EXECUTE ON FUNCTION cxone_retry_failed(text), cxone_forget(text, boolean), cxone_create_index(text, integer),
    cxone_reembed(text, integer), cxone_drop_model(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_retry_failed(text), cxone_forget(text, boolean), cxone_create_index(text, integer),
    cxone_reembed(text, integer), cxone_drop_model(text) TO cxone_admin;
GRANT SELECT ON cxone_status TO cxone_reader, cxone_admin;
-- The sidecar's switch to a model it has finished building.
REVOKE EXECUTE ON FUNCTION _cxone_finish_building(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _cxone_finish_building(text) TO cxone_sidecar, cxone_admin;
-- Query embeddings cost provider calls, and search CPU: for readers and admins, not PUBLIC.
REVOKE EXECUTE ON FUNCTION cxone_embed(text), _cxone_embed_array(text, text), cxone_search(text, integer, jsonb, text),
    _cxone_fuse(vector, text, integer, jsonb, text, text), cxone_similar(text, integer),
    _cxone_nearest(vector, integer, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_embed(text), _cxone_embed_array(text, text), cxone_search(text, integer, jsonb, text),
    _cxone_fuse(vector, text, integer, jsonb, text, text), cxone_similar(text, integer),
    _cxone_nearest(vector, integer, jsonb, text, text) TO cxone_reader, cxone_admin;
