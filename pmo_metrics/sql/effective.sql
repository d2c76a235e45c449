-- The snapshot rule of SPEC §3, as table macros the measures build on.
--
-- For reporting month m, the effective rows of a sheet kind are, per entity (project, benefit,
-- KPI, metric), those of the latest loaded (not voided) upload with as_of <= m that contains
-- the entity. "Latest" orders by as_of, then by upload id, so a corrective re-upload for the
-- same month supersedes the earlier one for the entities it contains.

-- The rule is kept as validity ranges in entity_validity (schema_v3.sql, pmo_metrics/validity.py,
-- maintained by every load and void), so resolving a month is a range filter, not an arg_max.
-- MATERIALIZED keeps the small resolved set a unit the planner joins to the data table first (as
-- it did the arg_max): inlined, the planner may join the whole data table to the measure's
-- other filters before it (value_timeline: 1.8 s instead of 0.08 s on the large store).
CREATE OR REPLACE MACRO effective_uploads(kind_name, m) AS TABLE
    WITH e AS MATERIALIZED (
        SELECT entity_key, upload_id
        FROM entity_validity
        WHERE kind = kind_name AND valid_from <= m AND (valid_to IS NULL OR valid_to > m)
    )
    SELECT entity_key, upload_id FROM e;

CREATE OR REPLACE MACRO effective_projects(m) AS TABLE
    SELECT t.* FROM projects AS t
    JOIN effective_uploads('projects', m) AS e
      ON t.upload_id = e.upload_id AND t.project_id = e.entity_key;

CREATE OR REPLACE MACRO effective_financials(m) AS TABLE
    SELECT t.* FROM financials AS t
    JOIN effective_uploads('financials', m) AS e
      ON t.upload_id = e.upload_id AND t.project_id = e.entity_key;

CREATE OR REPLACE MACRO effective_benefits(m) AS TABLE
    SELECT t.* FROM benefits AS t
    JOIN effective_uploads('benefits', m) AS e
      ON t.upload_id = e.upload_id AND t.benefit_id = e.entity_key;

CREATE OR REPLACE MACRO effective_benefit_values(m) AS TABLE
    SELECT t.* FROM benefit_values AS t
    JOIN effective_uploads('benefit_values', m) AS e
      ON t.upload_id = e.upload_id AND t.benefit_id = e.entity_key;

CREATE OR REPLACE MACRO effective_kpis(m) AS TABLE
    SELECT t.* FROM kpis AS t
    JOIN effective_uploads('kpis', m) AS e
      ON t.upload_id = e.upload_id AND t.kpi_id = e.entity_key;

CREATE OR REPLACE MACRO effective_benchmarks(m) AS TABLE
    SELECT t.* FROM benchmarks AS t
    JOIN effective_uploads('benchmarks', m) AS e
      ON t.upload_id = e.upload_id AND t.metric = e.entity_key;
