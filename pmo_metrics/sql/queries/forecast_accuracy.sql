-- SPEC §9.4 forecast accuracy (docs/governance.md): for each financial flow benefit in scope and
-- each month p to date whose realised value is known as of $as_of, the forecast for p made h
-- months earlier (h = 1, 3, 6, 12) — the forecast_value of p in the snapshot of the stored
-- reporting month p − h, as effective then (effective_benefit_values of that month) — against the
-- realised value. Summed per group: level `all` (the scope), `portfolio`, `project`,
-- `benefit_type` and `submitter` (who loaded the upload the forecast came from), one row per group
-- and horizon that has at least one pair.
--   bias = Σ forecast ÷ Σ realised − 1          (> 0: over-forecast)
--   wape = Σ |forecast − realised| ÷ Σ realised
-- both empty when Σ realised is 0.
WITH b AS MATERIALIZED (
    SELECT benefit_id, project_id, portfolio, coalesce(benefit_type, '(no type)') AS benefit_type
    FROM {scoped_benefits}($as_of, $portfolio, $programme, $objective, $currency)
    WHERE category = 'financial' AND measure = 'flow'
),
-- The month's realised values, materialised before anything filters or joins them (as in
-- sustained.sql: referenced twice, or DuckDB inlines them and joins every stored version first).
snapshot_values AS MATERIALIZED (
    SELECT benefit_id, period, realised_value FROM effective_benefit_values($as_of)
),
actual AS MATERIALIZED (
    SELECT v.benefit_id, v.period, v.realised_value
    FROM snapshot_values AS v
    SEMI JOIN b USING (benefit_id)
    WHERE v.period <= $as_of AND v.realised_value IS NOT NULL AND (SELECT count(*) FROM snapshot_values) >= 0
),
horizons AS (SELECT unnest([1, 3, 6, 12]) AS h),
made_in AS (
    -- the stored reporting months a forecast of a known month was made in
    SELECT DISTINCT u.as_of AS r
    FROM uploads AS u
    WHERE u.status = 'loaded' AND u.as_of < $as_of
      AND u.as_of IN (SELECT DISTINCT CAST(a.period - to_months(h.h) AS DATE) FROM actual AS a, horizons AS h)
),
made AS MATERIALIZED (
    -- a kept month's forecasts 1, 3, 6, 12 months ahead (month_rows.py) ...
    SELECT f.as_of AS made_in, f.benefit_id, f.period, f.forecast_value, f.upload_id
    FROM benefit_month_forecasts AS f
    WHERE f.as_of IN (SELECT r FROM made_in) AND f.as_of IN (SELECT as_of FROM month_rows_made)
    UNION ALL
    -- ... and any other month's derived from its snapshot (the same rows, slower)
    SELECT r.r AS made_in, f.benefit_id, f.period, f.forecast_value, f.upload_id
    FROM (SELECT r FROM made_in WHERE r NOT IN (SELECT as_of FROM month_rows_made)) AS r,
         LATERAL effective_benefit_values(r.r) AS f
    WHERE f.forecast_value IS NOT NULL AND datediff('month', r.r, f.period) IN (1, 3, 6, 12)
),
pairs AS (
    SELECT a.benefit_id, a.period, h.h, m.forecast_value, a.realised_value,
           coalesce(u.user_name, '(unknown)') AS submitter
    FROM actual AS a
    CROSS JOIN horizons AS h
    JOIN made AS m
      ON m.benefit_id = a.benefit_id AND m.period = a.period
     AND m.made_in = CAST(a.period - to_months(h.h) AS DATE)
    LEFT JOIN uploads AS u ON u.upload_id = m.upload_id
),
grouped AS (
    SELECT CASE WHEN grouping(b.portfolio) = 0 THEN 'portfolio'
                WHEN grouping(b.project_id) = 0 THEN 'project'
                WHEN grouping(b.benefit_type) = 0 THEN 'benefit_type'
                WHEN grouping(p.submitter) = 0 THEN 'submitter'
                ELSE 'all' END AS level,
           coalesce(b.portfolio, b.project_id, b.benefit_type, p.submitter, 'All') AS group_key,
           p.h AS horizon_months,
           count(*) AS pairs,
           count(DISTINCT p.benefit_id) AS benefits,
           sum(p.forecast_value) AS forecast_sum,
           sum(p.realised_value) AS realised_sum,
           sum(abs(p.forecast_value - p.realised_value)) AS abs_error_sum
    FROM pairs AS p
    JOIN b USING (benefit_id)
    GROUP BY GROUPING SETS ((p.h), (p.h, b.portfolio), (p.h, b.project_id), (p.h, b.benefit_type),
                            (p.h, p.submitter))
)
SELECT level, group_key, horizon_months,
       ratio(forecast_sum, realised_sum) - 1 AS bias,
       ratio(abs_error_sum, realised_sum) AS wape,
       pairs, benefits, forecast_sum, realised_sum
FROM grouped
ORDER BY CASE level WHEN 'all' THEN 0 WHEN 'portfolio' THEN 1 WHEN 'project' THEN 2
                    WHEN 'benefit_type' THEN 3 ELSE 4 END,
         group_key, horizon_months;
