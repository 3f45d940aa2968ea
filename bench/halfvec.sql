-- HNSW storage: vector(1536) against halfvec(1536), on clustered synthetic vectors shaped like
-- OpenAI embeddings (unit length, 1536 dims). Measures index build time, index size, query
-- latency (p50/p95 over :q queries, k = 10) and recall@10 against exact search.
-- psql -v n=20000 -v q=100 -f bench/halfvec.sql
\set ON_ERROR_STOP 1
SET client_min_messages = notice;
SET maintenance_work_mem = '1GB';
SET max_parallel_maintenance_workers = 1;
DROP TABLE IF EXISTS bench_vectors, bench_centers, bench_queries;
SELECT setseed(0.42);
CREATE TABLE bench_centers AS
  SELECT c, array_agg(random() * 2 - 1) AS v FROM generate_series(1, 200) c, generate_series(1, 1536) d GROUP BY c;
CREATE TABLE bench_vectors AS
  SELECT g AS id, l2_normalize(array_agg(ce.v[d] + (random() * 2 - 1) * 0.6 ORDER BY d)::vector(1536)) AS v
    FROM generate_series(1, :n) g JOIN bench_centers ce ON ce.c = 1 + g % 200, generate_series(1, 1536) d
   GROUP BY g;
CREATE TABLE bench_queries AS
  SELECT g AS qid, l2_normalize(array_agg(ce.v[d] + (random() * 2 - 1) * 0.6 ORDER BY d)::vector(1536)) AS v
    FROM generate_series(1, :q) g JOIN bench_centers ce ON ce.c = 1 + (g * 7) % 200, generate_series(1, 1536) d
   GROUP BY g;
ALTER TABLE bench_vectors ALTER COLUMN v TYPE vector(1536), ADD COLUMN h halfvec(1536);
UPDATE bench_vectors SET h = v::halfvec(1536);
VACUUM ANALYZE bench_vectors;

CREATE OR REPLACE FUNCTION pg_temp.measure(kind text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz; build interval; lat double precision[] := '{}'; hits int := 0; r record;
    got bigint[]; want bigint[]; t1 timestamptz; size bigint;
BEGIN
    t0 := clock_timestamp();
    IF kind = 'vector' THEN
        CREATE INDEX bench_idx ON bench_vectors USING hnsw (v vector_cosine_ops);
    ELSE
        CREATE INDEX bench_idx ON bench_vectors USING hnsw (h halfvec_cosine_ops);
    END IF;
    build := clock_timestamp() - t0;
    size := pg_relation_size('bench_idx');
    FOR r IN SELECT * FROM bench_queries LOOP
        SET LOCAL enable_seqscan = off;
        t1 := clock_timestamp();
        IF kind = 'vector' THEN
            SELECT array_agg(id) INTO got FROM (SELECT id FROM bench_vectors ORDER BY v <=> r.v LIMIT 10) s;
        ELSE
            SELECT array_agg(id) INTO got FROM (SELECT id FROM bench_vectors ORDER BY h <=> r.v::halfvec(1536) LIMIT 10) s;
        END IF;
        lat := lat || extract(epoch FROM clock_timestamp() - t1) * 1000;
        SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
        SELECT array_agg(id) INTO want FROM (SELECT id FROM bench_vectors ORDER BY v <=> r.v LIMIT 10) s;
        SET LOCAL enable_indexscan = on;
        hits := hits + (SELECT count(*) FROM unnest(got) x WHERE x = ANY (want));
    END LOOP;
    RAISE NOTICE 'RESULT % build_s=% index_mb=% p50_ms=% p95_ms=% recall10=%', kind,
        round(extract(epoch FROM build)::numeric, 2), round(size / 1048576.0, 1),
        round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(lat) x)::numeric, 2),
        round((SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY x) FROM unnest(lat) x)::numeric, 2),
        round(hits::numeric / (10 * (SELECT count(*) FROM bench_queries)), 3);
    DROP INDEX bench_idx;
END $$;

SELECT pg_temp.measure('vector');
SELECT pg_temp.measure('halfvec');
DROP TABLE bench_vectors, bench_centers, bench_queries;
