-- The ingest benchmark's baseline: the same work as cxone_vector's trigger (map the DFO
-- transcript to labelled text, extract ids, metadata and the event key, detect PII, tag the
-- intent with the rules in cxone_intent_rules, supersede and queue), written in PL/pgSQL the
-- way a careful team would without an extension. Tables mirror the extension's.
DROP TABLE IF EXISTS pl_payloads, pl_event_keys, pl_queue;
CREATE TABLE pl_payloads (LIKE cxone_payloads INCLUDING ALL);
CREATE TABLE pl_event_keys (event_key text PRIMARY KEY, payload_id bigint NOT NULL);
CREATE TABLE pl_queue (LIKE conversation_embeddings INCLUDING ALL);

CREATE OR REPLACE FUNCTION pl_luhn(digits text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    s int := 0; d int; alt boolean := false;
BEGIN
    FOR i IN REVERSE length(digits)..1 LOOP
        d := substr(digits, i, 1)::int;
        IF alt THEN d := d * 2; IF d > 9 THEN d := d - 9; END IF; END IF;
        s := s + d; alt := NOT alt;
    END LOOP;
    RETURN s % 10 = 0;
END $$;

CREATE OR REPLACE FUNCTION pl_ingest() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    j jsonb; conv text; ev text; key text; body text; meta jsonb; pii text[] := '{}';
    intent text := 'general_inquiry'; rule record; at timestamptz;
BEGIN
    BEGIN
        j := NEW.payload::jsonb;
    EXCEPTION WHEN others THEN
        NEW.outcome := 'invalid'; NEW.reason := SQLERRM; RETURN NEW;
    END;
    IF jsonb_typeof(j) <> 'object' THEN
        NEW.outcome := 'invalid'; NEW.reason := 'payload is not a JSON object'; RETURN NEW;
    END IF;
    conv := coalesce(j->>'conversationId', j#>>'{data,case,id}');
    ev := j->>'eventId';
    at := coalesce(j->>'createdAt', j->>'timestamp')::timestamptz;
    key := CASE WHEN ev IS NOT NULL THEN 'id:' || ev ELSE 'conv:' || conv || '@' || at END;
    INSERT INTO pl_event_keys VALUES (key, NEW.id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        NEW.outcome := 'duplicate'; NEW.event_key := key; RETURN NEW;
    END IF;
    SELECT string_agg(CASE x.v->>'participant' WHEN 'customer' THEN 'Customer' WHEN 'agent' THEN 'Agent'
                          WHEN 'bot' THEN 'Bot' WHEN 'system' THEN 'System' ELSE initcap(x.v->>'participant') END
                      || ': ' || (x.v->>'text'), E'\n' ORDER BY x.v->>'timestamp', x.n)
      INTO body
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(j#>'{data,transcript}') = 'array'
                                     THEN j#>'{data,transcript}' ELSE '[]' END) WITH ORDINALITY AS x(v, n)
     WHERE coalesce(x.v->>'text', '') <> '';
    IF body IS NULL THEN
        NEW.outcome := 'skipped'; NEW.reason := 'no text'; NEW.conversation_id := conv; RETURN NEW;
    END IF;
    -- PII, with the same patterns and checks as cxone_core::pii.
    IF body ~* '\m[a-z0-9][a-z0-9._%+''-]*@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}\M' THEN
        pii := pii || 'email'::text;
    END IF;
    IF EXISTS (SELECT 1 FROM regexp_matches(body, '(\m\d(?:[ -]?\d){12,18}\M)', 'g') AS c(x)
                WHERE pl_luhn(regexp_replace(c.x[1], '[^0-9]', '', 'g'))) THEN
        pii := pii || 'card'::text;
    END IF;
    IF body ~ '\m\d{3}([- ])\d{2}\1\d{4}\M' THEN pii := pii || 'ssn'::text; END IF;
    IF body ~ '\m[A-Z]{2}\d{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,4})?\M' THEN pii := pii || 'iban'::text; END IF;
    IF body ~ '\+\d{1,3}([ .-]?\(?\d{1,4}\)?){2,6}' OR body ~ '(\(\d{2,5}\)[ .-]?|\m\d{2,5}[ .-])\d{3,4}[ .-]?\d{3,4}\M' THEN
        pii := pii || 'phone'::text;
    END IF;
    IF body ~* '\m(d\.?o\.?b\.?|date of birth|birth ?date|born( on)?|birthday( is)?)\s*(is|was|[:=-])?\s*(\d{1,2}[/.-]\d{1,2}[/.-](\d{4}|\d{2})|\d{4}-\d{2}-\d{2})' THEN
        pii := pii || 'date_of_birth'::text;
    END IF;
    -- Intent: the highest-priority enabled rule that matches a whole word.
    FOR rule IN SELECT category, pattern FROM cxone_intent_rules WHERE enabled ORDER BY priority DESC, id LOOP
        IF body ~* ('\m(' || rule.pattern || ')\M') THEN
            intent := rule.category; EXIT;
        END IF;
    END LOOP;
    meta := jsonb_strip_nulls(jsonb_build_object(
        'channel', j#>>'{data,channel,name}', 'channel_id', j#>>'{data,channel,id}',
        'queue', j#>>'{data,routingQueue,name}', 'case_status', j#>>'{data,case,status}',
        'event_type', j->>'eventType', 'event_time', j->>'createdAt',
        'intent_category', intent, 'pii_types', to_jsonb(pii), 'contains_pii', cardinality(pii) > 0));
    UPDATE pl_queue SET status = 'superseded'
     WHERE conversation_id = conv AND status IN ('pending', 'failed');
    INSERT INTO pl_queue (source_system, conversation_id, text_content, semantic_metadata, payload_id,
                          chunk_index, event_at, target_model)
    VALUES ('cxone', conv, body, meta, NEW.id, 0, at, 'all-MiniLM-L6-v2');
    PERFORM pg_notify('pl_pending', '');
    NEW.outcome := 'queued'; NEW.conversation_id := conv; NEW.event_key := key; NEW.mapping := 'plpgsql';
    RETURN NEW;
END $$;

CREATE TRIGGER pl_ingest BEFORE INSERT ON pl_payloads FOR EACH ROW EXECUTE FUNCTION pl_ingest();
