-- Baseline control (SPEC §9.1; docs/baselines.md). The measures read every plan — planned_cost,
-- planned_value, KPI target, benefit target_value — through the effective_* macros below, which
-- are the latest_* snapshot rows of effective.sql with the plan columns replaced by the current
-- approved baseline wherever a row's own plan is not it (plan_overrides, schema_v9.sql, kept by
-- pmo_metrics/baselines.py). Setting baseline_control = 'off' reads the rows' own plans (Part I).

-- Is baseline control on? (settings.baseline_control, default 'on'; the stored value is JSON text)
CREATE OR REPLACE MACRO baseline_control_on() AS
    coalesce((SELECT json_extract_string(value, '$') FROM settings WHERE key = 'baseline_control'), 'on') <> 'off';

-- Every stored plan figure as (kind, upload, entity, period, planned); a benefit's target_value has
-- no period and stands at DATE '1900-01-01'.
CREATE OR REPLACE MACRO plan_rows() AS TABLE
    SELECT 'financials' AS kind, upload_id, project_id AS entity_key, period, planned_cost AS planned
    FROM financials
    UNION ALL
    SELECT 'benefit_values', upload_id, benefit_id, period, planned_value FROM benefit_values
    UNION ALL
    SELECT 'kpis', upload_id, kpi_id, period, target FROM kpis
    UNION ALL
    SELECT 'benefits', upload_id, benefit_id, DATE '1900-01-01', target_value FROM benefits;

CREATE OR REPLACE MACRO effective_financials(m) AS TABLE
    SELECT f.* REPLACE (CASE WHEN o.upload_id IS NULL THEN f.planned_cost ELSE o.planned END AS planned_cost)
    FROM latest_financials(m) AS f
    LEFT JOIN plan_overrides AS o
      ON o.kind = 'financials' AND o.upload_id = f.upload_id AND o.entity_key = f.project_id
     AND o.period = f.period AND baseline_control_on();

-- The benefit values with the approved baseline's plans and the realised values as claimed;
-- validation.sql's effective_benefit_values applies realised_counts over them (SPEC §9.3).
CREATE OR REPLACE MACRO claimed_benefit_values(m) AS TABLE
    SELECT v.* REPLACE (CASE WHEN o.upload_id IS NULL THEN v.planned_value ELSE o.planned END AS planned_value)
    FROM latest_benefit_values(m) AS v
    LEFT JOIN plan_overrides AS o
      ON o.kind = 'benefit_values' AND o.upload_id = v.upload_id AND o.entity_key = v.benefit_id
     AND o.period = v.period AND baseline_control_on();

CREATE OR REPLACE MACRO effective_kpis(m) AS TABLE
    SELECT k.* REPLACE (CASE WHEN o.upload_id IS NULL THEN k.target ELSE o.planned END AS target)
    FROM latest_kpis(m) AS k
    LEFT JOIN plan_overrides AS o
      ON o.kind = 'kpis' AND o.upload_id = k.upload_id AND o.entity_key = k.kpi_id
     AND o.period = k.period AND baseline_control_on();

CREATE OR REPLACE MACRO effective_benefits(m) AS TABLE
    SELECT b.* REPLACE (CASE WHEN o.upload_id IS NULL THEN b.target_value ELSE o.planned END AS target_value)
    FROM latest_benefits(m) AS b
    LEFT JOIN plan_overrides AS o
      ON o.kind = 'benefits' AND o.upload_id = b.upload_id AND o.entity_key = b.benefit_id
     AND o.period = DATE '1900-01-01' AND baseline_control_on();

-- SPEC §9.2: per financial benefit value stream, how far month m's plan has moved from a reference
-- baseline: Σ over the benefit's periods in m's snapshot of (its plan at m − the reference), where
-- the reference of a period is its baseline at month `a`, or, for a period first planned after a,
-- its first (original) baseline: extending the plan to new periods is not a re-baseline. With a
-- before every stored month, the reference is the original baseline (erosion_original). Under
-- baseline control only periods with more than one baseline range can differ, so only those are
-- read; with it off, the plan at m is the latest one and every period is compared.
CREATE OR REPLACE MACRO rebaselined_values(a, m) AS TABLE
    WITH r AS (
        SELECT entity_key AS benefit_id, period,
               coalesce(arg_max(planned, valid_from) FILTER (WHERE valid_from <= a),
                        arg_min(planned, valid_from)) AS reference
        FROM plan_baselines
        WHERE kind = 'benefit_values' AND valid_from <= m
        GROUP BY entity_key, period
        HAVING count(*) > 1 OR NOT baseline_control_on()
    )
    SELECT v.benefit_id, sum(v.planned_value - r.reference) AS rebaselined
    FROM claimed_benefit_values(m) AS v  -- the plans; realised_counts changes only realised values
    JOIN r ON r.benefit_id = v.benefit_id AND r.period = v.period
    GROUP BY v.benefit_id;
