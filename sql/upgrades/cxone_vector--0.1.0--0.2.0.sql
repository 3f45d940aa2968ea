-- cxone_vector 0.1.0 -> 0.2.0 (ALTER EXTENSION cxone_vector UPDATE TO '0.2.0').

-- Ingest writes a statement's queue rows once, at the end of the statement: the row trigger
-- buffers, this statement trigger writes (extension/src/ingest_flush.rs).
CREATE FUNCTION "_cxone_ingest_flush"()
	RETURNS TRIGGER
	LANGUAGE c
	AS 'MODULE_PATHNAME', '_cxone_ingest_flush_wrapper';
ALTER FUNCTION _cxone_ingest_flush() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER cxone_payloads_ingest_flush
    AFTER INSERT ON cxone_payloads
    FOR EACH STATEMENT EXECUTE FUNCTION _cxone_ingest_flush();

-- Selective metadata filters are searched exactly over the rows they match (GIN index).
CREATE INDEX conversation_embeddings_metadata_idx ON conversation_embeddings
    USING gin (semantic_metadata jsonb_path_ops) WHERE status = 'embedded';

-- The nearest rows to q among those embedded by `model`, best chunk per conversation, strictly
-- ordered. A filter that few rows match (fewer than 2,000 of the model's) is searched exactly
-- over those rows, found through the metadata's GIN index: faster than walking the HNSW graph
-- past thousands of rows the filter rejects, and exact (measured in BENCHMARKS.md, section 6).
-- Otherwise the model's HNSW index, whose iterative scan keeps k results under a filter.
CREATE OR REPLACE FUNCTION _cxone_nearest(q vector, k integer, filter jsonb, exclude text, model text)
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

CREATE FUNCTION cxone_index_defer(model text) RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
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
           AND position(format('(model = %L::text)', cxone_index_defer.model)
                        IN coalesce(pg_get_expr(i.indpred, i.indrelid), '')) > 0
    LOOP
        INSERT INTO @extschema@._cxone_deferred_indexes (name, model, definition)
        VALUES (r.name, cxone_index_defer.model, r.definition);
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
REVOKE EXECUTE ON FUNCTION cxone_index_defer(text), cxone_index_restore(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cxone_index_defer(text), cxone_index_restore(text) TO cxone_admin, cxone_sidecar;

-- SECURITY DEFINER functions: only the extension's triggers, and the sidecar, run them.
REVOKE EXECUTE ON FUNCTION _cxone_ingest(), _cxone_ingest_flush() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION _cxone_finish_building(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _cxone_finish_building(text) TO cxone_sidecar, cxone_admin;
