-- SPEC §4 level 4 sustained value / §5 `sustained`: one row per benefit (in scope) of a project
-- that ended: stage `closed`, or end_date before the reporting month. The end month is the month
-- of end_date, else (closed) the project's last financials period.
-- The month's benefit values, materialised: referenced twice (the second a count that is always
-- true), as DuckDB otherwise inlines them and its join order joins `ended` to every stored
-- version before the snapshot is resolved (2-3 s on a 60-month store against 0.2 s).
WITH snapshot_values AS MATERIALIZED (
    SELECT benefit_id, period, planned_value, realised_value FROM effective_benefit_values($as_of)
),
last_financial AS (
    SELECT project_id, max(period) AS last_period
    FROM effective_financials($as_of)
    GROUP BY project_id
),
ended AS (
    SELECT b.*,
           coalesce(CAST(date_trunc('month', b.end_date) AS DATE), lf.last_period) AS end_month
    FROM {scoped_benefits}($as_of, $portfolio, $programme, $objective, $currency) AS b
    LEFT JOIN last_financial AS lf USING (project_id)
    WHERE b.stage = 'closed' OR b.end_date < $as_of
),
after_end AS (
    -- months after the end month, to date
    SELECT e.benefit_id, v.period, v.planned_value, v.realised_value
    FROM ended AS e
    JOIN snapshot_values AS v
      ON v.benefit_id = e.benefit_id AND v.period > e.end_month AND v.period <= $as_of
    WHERE (SELECT count(*) FROM snapshot_values) >= 0
),
judged AS (
    SELECT benefit_id,
           count(*) FILTER (WHERE planned_value IS NOT NULL) AS planned_months,
           -- the last N planned months; a month with a plan but no realised figure fails
           list_bool_and(arg_max(coalesce(realised_value >= $sustained_threshold * planned_value, false),
                                 period, $sustained_window) FILTER (WHERE planned_value IS NOT NULL)) AS all_met,
           sum(realised_value) AS realised_after_end
    FROM after_end
    GROUP BY benefit_id
)
SELECT e.benefit_id, e.project_id,
       CASE WHEN coalesce(j.planned_months, 0) >= $sustained_window THEN j.all_met END AS sustained,
       CASE WHEN e.category = 'financial' AND e.end_month IS NOT NULL
            THEN coalesce(j.realised_after_end, 0) END AS sustained_value,
       e.benefit_name, e.category, e.measure, e.project_name, e.portfolio, e.programme, e.stage,
       e.end_month, coalesce(j.planned_months, 0) AS planned_months_after_end,
       CASE WHEN e.category = 'financial' THEN e.currency END AS currency
FROM ended AS e
LEFT JOIN judged AS j USING (benefit_id)
ORDER BY e.portfolio, e.project_id, e.benefit_id;
