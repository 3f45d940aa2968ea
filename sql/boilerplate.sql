-- cxone_vector: boilerplate, the lines that repeat verbatim across conversations (a bot's
-- greeting, IVR prompts, agents' macros), left out of the text that is embedded.
--
-- Every conversation that opens with the same greeting and closes with the same macro has its
-- vector pulled toward the same point, and search ranks by those shared lines instead of what
-- the customer said (measured in BENCHMARKS.md, "Boilerplate"). So the text sent to the model
-- leaves out each line already seen in at least cxone.boilerplate_min_conversations other
-- conversations (default 5; 0 turns it off), unless that would leave nothing. The stored text
-- (text_content) stays complete: it is what readers see and what keyword search indexes.
--
-- Lines are counted as the embedding queue hands rows out (cxone_queue_claim, first claim of a
-- row only), so the ingest trigger pays nothing; a line is known by a 64-bit hash of its
-- normalised text (no text is kept here), and counted once per conversation however often that
-- conversation is re-assembled. Lines seen too rarely to matter are forgotten after a week by
-- cxone_retention_due(), so the table holds about a week of distinct lines.

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
