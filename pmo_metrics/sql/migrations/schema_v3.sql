-- Schema version 3: the snapshot rule of SPEC §3 as validity ranges, so effective_uploads(kind, m)
-- is a range filter instead of an arg_max over every stored version of a kind.
--
-- Among the loaded (not voided) uploads that contain an entity of a kind, ordered by
-- (as_of, upload_id), each version is effective for the months m with
-- valid_from <= m < valid_to: valid_from is its as_of, valid_to the as_of of the next version
-- (NULL for the last). A version followed by one with the SAME as_of gets valid_to = valid_from,
-- an empty range: the later upload id wins that month and every month after. This is exactly
-- "the latest loaded upload with as_of <= m" of effective.sql before schema 3.
-- Only pmo_metrics/validity.py writes it, inside the transaction of every load and void, for the
-- entities the upload contains. Existing databases are filled here from entity_versions. The
-- table is derived data only, so any copy left behind (a database turned back to an older
-- version) is replaced rather than trusted.
CREATE OR REPLACE TABLE entity_validity (
    kind VARCHAR NOT NULL,
    entity_key VARCHAR NOT NULL,
    upload_id INTEGER NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE                        -- exclusive; NULL = still effective
);

INSERT INTO entity_validity
SELECT ev.kind, ev.entity_key, ev.upload_id, ev.as_of,
       lead(ev.as_of) OVER (PARTITION BY ev.kind, ev.entity_key ORDER BY ev.as_of, ev.upload_id)
FROM entity_versions AS ev
JOIN uploads AS u USING (upload_id)
WHERE u.status = 'loaded'
ORDER BY ev.kind, ev.entity_key, ev.as_of, ev.upload_id;
