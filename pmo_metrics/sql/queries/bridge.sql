-- SPEC §9.2 the erosion bridge: one row per financial `flow` benefit in scope at $as_of (month b),
-- explaining how its value expected moved since $from_month (month a): the original baseline total
-- (the baseline at a; periods first planned after a at their first plan), the approved re-baselines
-- since, the current baseline total (planned_total at b), the forecast change and the forecast
-- total at b. original_baseline_total + rebaselined = current_baseline_total and
-- current_baseline_total + forecast_change = forecast_total; a benefit with no values has 0s.
SELECT b.benefit_id, b.project_id,
       coalesce(b.planned_total, 0) - coalesce(r.rebaselined, 0) AS original_baseline_total,
       coalesce(r.rebaselined, 0) AS rebaselined,
       coalesce(b.planned_total, 0) AS current_baseline_total,
       coalesce(b.forecast_total, 0) - coalesce(b.planned_total, 0) AS forecast_change,
       coalesce(b.forecast_total, 0) AS forecast_total,
       b.benefit_name, b.project_name, b.portfolio, b.programme, b.currency,
       CAST($from_month AS DATE) AS from_month, CAST($as_of AS DATE) AS to_month
FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency) AS b
LEFT JOIN rebaselined_values(CAST($from_month AS DATE), $as_of) AS r USING (benefit_id)
WHERE b.category = 'financial' AND b.measure = 'flow'
ORDER BY b.portfolio, b.programme NULLS LAST, b.project_id, b.benefit_id;
