-- cxone_vector 0.2.0 -> 0.3.0: closing the doors of the security review (README "Security model").
-- Everything else of 0.3.0 is in the library: the schema found from the catalogs, owner-only
-- settings trusted only when a superuser set them, the API key read from a file.

-- Clients supply only the payload and its source.
REVOKE INSERT ON cxone_payloads FROM cxone_ingest, cxone_sidecar;
GRANT INSERT (source, payload) ON cxone_payloads TO cxone_ingest, cxone_sidecar;

-- The sidecar updates only the queue's columns.
REVOKE UPDATE ON conversation_embeddings FROM cxone_sidecar;
GRANT UPDATE (embedding, status, model, embedded_at, attempts, last_error, next_attempt_at, lease_until, leased_by)
    ON conversation_embeddings TO cxone_sidecar;

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
