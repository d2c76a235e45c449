-- Schema version 9: baseline control (SPEC §9.1). See docs/baselines.md.
--
-- rebaselines: one row per upload and entity (project, benefit, KPI) whose plan (planned_cost,
-- planned_value, KPI target, benefit target_value), when it was loaded, differed from the
-- entity's baseline for periods whose baseline an upload of an EARLIER month had set. Declared
-- by a PMO manager with the upload (status 'approved', declared), else 'pending' until a PMO
-- manager approves or rejects it, with a reason. With the uploads table, this is the audit of
-- every baseline: the first plan is set by its upload (who, when in `uploads`), every change by
-- a row here (who asked, who decided, when and why). Only pmo_metrics/baselines.py writes it.
CREATE SEQUENCE IF NOT EXISTS rebaseline_id_seq START 1;

CREATE TABLE IF NOT EXISTS rebaselines (
    rebaseline_id INTEGER NOT NULL DEFAULT nextval('rebaseline_id_seq'),
    upload_id INTEGER NOT NULL,
    kind VARCHAR NOT NULL,               -- financials, benefit_values, kpis or benefits
    entity_key VARCHAR NOT NULL,         -- project_id, benefit_id or kpi_id
    as_of DATE NOT NULL,                 -- the upload's reporting month: it takes effect from there
    periods INTEGER NOT NULL,            -- periods whose plan differs from the baseline
    first_period DATE,
    last_period DATE,
    baseline_total DOUBLE,               -- Σ of the baseline over those periods
    proposed_total DOUBLE,               -- Σ of the upload's plan over them
    status VARCHAR NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    declared BOOLEAN NOT NULL DEFAULT false,  -- declared with the upload (else decided later)
    requested_by VARCHAR,                -- who loaded the upload
    requested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    decided_by VARCHAR,
    decided_at TIMESTAMP,
    reason VARCHAR
);

-- The baseline as validity ranges per (kind, entity, period): `planned` is the baseline from the
-- reporting month valid_from up to (not including) valid_to. A range starts at the first month an
-- upload gave the period a plan and at each month with an approved re-baseline of the entity; its
-- value is the plan of the latest upload of that month (a same-month upload is a correction).
-- Benefit target_value has no period: DATE '1900-01-01' stands for it. Derived data only: made by
-- baselines.py for the entities of each load, void and decision (and whole when the program's
-- rule changes), in the same transaction.
CREATE OR REPLACE TABLE plan_baselines (
    kind VARCHAR NOT NULL,
    entity_key VARCHAR NOT NULL,
    period DATE NOT NULL,
    planned DOUBLE,
    upload_id INTEGER NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE
);

-- The stored rows whose own plan is not the baseline of their month: the baseline to read in its
-- place. Normally empty or tiny (only rows of uploads whose plan changed without approval), so the snapshot macros pay one small join for baseline
-- control (sql/macros/baselines.sql). Derived with plan_baselines.
CREATE OR REPLACE TABLE plan_overrides (
    kind VARCHAR NOT NULL,
    upload_id INTEGER NOT NULL,
    entity_key VARCHAR NOT NULL,
    period DATE NOT NULL,
    planned DOUBLE
);

-- Uploads stored before this version were loaded under Part I (the latest plan counts), with no
-- way to declare a re-baseline: their plans are taken as approved, so an upgraded store keeps its
-- figures. Uploads up to this id set the baseline of their month.
DELETE FROM meta WHERE key = 'baselines_accepted_upto';
INSERT INTO meta SELECT 'baselines_accepted_upto', CAST(coalesce(max(upload_id), 0) AS VARCHAR) FROM uploads;
DELETE FROM meta WHERE key = 'plan_baselines_of';
