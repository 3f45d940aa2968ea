-- cxone_vector: keyword search, the full-text half of cxone_search's hybrid mode, and the
-- snippets every mode returns.
--
-- What contact-center users type into a search box is often not meaning but a token: an order
-- number (112-4455667-8899010), a reference (REF-2024-000981), a tracking code
-- (1Z999AA10123456784), an error code, a plan's name. Each embedded row's text is indexed with
-- PostgreSQL text search, maintained with the row by PostgreSQL itself (a generated column and
-- its GIN index: nothing for the ingest trigger or the sidecar to do).

-- The text search configuration keyword search uses: English stemming and stop words for words
-- ("cancelled plans" finds "cancel plan"), and the default parser's number and code tokens kept
-- whole. To index another language, alter it (ALTER TEXT SEARCH CONFIGURATION cxone_text ALTER
-- MAPPING FOR asciiword, word WITH french_stem), then recompute the stored documents:
-- UPDATE conversation_embeddings SET text_content = text_content WHERE status = 'embedded'.
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
