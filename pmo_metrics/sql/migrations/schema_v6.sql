-- Schema version 6: upload modes, portfolio membership and closed months (SPEC §7.1, §7.2).
--
-- uploads.mode: 'full' (SPEC §3: per entity, the upload's rows replace everything earlier) or
-- 'incremental' (the period-keyed sheets supersede per entity and period; entity_validity keeps an
-- incremental version effective alongside the earlier ones until the next full one, and the
-- effective_* macros pick each period's latest row: validity.py, effective.sql).
-- uploads.complete: the upload lists every project of each portfolio it names (membership.sql).
-- Every upload before this version was a full, not complete one. (IF NOT EXISTS and the guarded
-- updates: a database turned back to an older version number keeps what it has.)
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS mode VARCHAR DEFAULT 'full';
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS complete BOOLEAN DEFAULT false;
UPDATE uploads SET mode = 'full' WHERE mode IS NULL;
UPDATE uploads SET complete = false WHERE complete IS NULL;

-- The projects each upload lists, on any sheet (Projects, Financials, Benefits, BenefitValues
-- through the benefit's project): who reported for the upload's month (SPEC §7.2) and who is
-- in a portfolio a complete upload names (§7.1). portfolio is the upload's own Projects row's;
-- NULL when the upload has none for the project (its stored portfolio at the upload's month is
-- then used). Written by the store with each load, in its transaction; kept for voided uploads
-- (the macros read loaded uploads only). Derived from the stored rows, so remade here whole.
CREATE OR REPLACE TABLE upload_projects (
    upload_id INTEGER NOT NULL,
    project_id VARCHAR NOT NULL,
    portfolio VARCHAR
);

-- Filled for the uploads stored before this version (the store's rule for a new upload).
INSERT INTO upload_projects
WITH listed AS (
    SELECT ev.upload_id, ev.entity_key AS project_id
    FROM entity_versions AS ev
    WHERE ev.kind IN ('projects', 'financials')
    UNION ALL
    SELECT ev.upload_id, b.project_id
    FROM entity_versions AS ev
    JOIN entity_validity AS v
      ON v.kind = 'benefits' AND v.entity_key = ev.entity_key
     AND v.valid_from <= ev.as_of AND (v.valid_to IS NULL OR v.valid_to > ev.as_of)
    JOIN benefits AS b ON b.upload_id = v.upload_id AND b.benefit_id = v.entity_key
    WHERE ev.kind IN ('benefits', 'benefit_values')
)
SELECT l.upload_id, l.project_id, p.portfolio
FROM (SELECT DISTINCT upload_id, project_id FROM listed) AS l
LEFT JOIN projects AS p ON p.upload_id = l.upload_id AND p.project_id = l.project_id
ORDER BY l.upload_id, l.project_id;

-- The spans in which a project is out of its portfolio (SPEC §7.1 `complete`): from the month of
-- the complete upload that left it out (left_from) until the month of the next upload listing
-- it again (back_from, exclusive; NULL = still out). Derived from upload_projects and uploads by
-- the macro membership_absences() (membership.sql), recomputed whole by every load and void in
-- its transaction, so it is never trusted from an older copy.
CREATE OR REPLACE TABLE project_absences (
    project_id VARCHAR NOT NULL,
    portfolio VARCHAR,
    left_from DATE NOT NULL,
    left_upload_id INTEGER NOT NULL,
    back_from DATE
);

-- Months a PMO manager closed (SPEC §7.2): complete even where projects have not reported. One
-- row per month; who and when are the audit record.
CREATE TABLE IF NOT EXISTS month_closures (
    month DATE PRIMARY KEY,
    closed_by VARCHAR,
    closed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
