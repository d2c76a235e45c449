-- SPEC §9.2 the erosion bridge summed per project, programme or portfolio ($level) and currency
-- (amounts in different currencies are never added), from the bridge rows (registered as
-- bridge_rows, from sql/queries/bridge.sql). Sums of the rows keep both identities.
SELECT portfolio,
       CASE WHEN $level IN ('project', 'programme') THEN programme END AS programme,
       CASE WHEN $level = 'project' THEN project_id END AS project_id,
       CASE WHEN $level = 'project' THEN project_name END AS project_name,
       currency,
       count(*) AS benefits,
       sum(original_baseline_total) AS original_baseline_total,
       sum(rebaselined) AS rebaselined,
       sum(current_baseline_total) AS current_baseline_total,
       sum(forecast_change) AS forecast_change,
       sum(forecast_total) AS forecast_total
FROM bridge_rows
GROUP BY ALL
ORDER BY portfolio, programme NULLS LAST, project_id NULLS LAST, currency;
