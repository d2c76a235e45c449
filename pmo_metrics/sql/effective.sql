-- The snapshot rule of SPEC §3, as table macros the measures build on.
--
-- For reporting month m, the effective rows of a sheet kind are, per entity (project, benefit,
-- KPI, metric), those of the latest loaded (not voided) upload with as_of <= m that contains
-- the entity. "Latest" orders by as_of, then by upload id, so a corrective re-upload for the
-- same month supersedes the earlier one for the entities it contains.

CREATE OR REPLACE MACRO effective_uploads(kind_name, m) AS TABLE
    SELECT ev.entity_key, arg_max(ev.upload_id, (ev.as_of, ev.upload_id)) AS upload_id
    FROM entity_versions AS ev
    JOIN uploads AS u USING (upload_id)
    WHERE ev.kind = kind_name AND ev.as_of <= m AND u.status = 'loaded'
    GROUP BY ev.entity_key;

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
