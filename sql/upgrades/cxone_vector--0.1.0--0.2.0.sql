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
