-- SPEC §3/§4 forecast drift: for every stored reporting month, the level 3 totals of the selected
-- financial flow benefits as they stood in that month's snapshot (the benefit-erosion chart).
-- Amounts are in the reporting currency, unless one project or benefit is selected (one currency).
-- Each month's per-benefit rows are benefit_rows(month) as stored by pmo_metrics/month_rows.py in
-- benefit_month_totals (kept exact on every load and void), so only the scope is applied here,
-- as scoped_projects/scoped_benefits apply it.
WITH months AS (
    SELECT DISTINCT as_of FROM uploads WHERE status = 'loaded' AND as_of IS NOT NULL
),
per_month AS (
    SELECT b.as_of,
           sum(b.planned_to_date) AS planned_to_date,
           sum(b.planned_total) AS planned_total,
           sum(b.forecast_total) AS forecast_total,
           sum(b.realised_to_date) AS realised_to_date,
           sum(b.risk_adjusted_forecast) AS risk_adjusted_forecast,
           count(*) AS benefits
    FROM benefit_month_totals AS b
    WHERE ($portfolio IS NULL OR b.portfolio = $portfolio)
      AND ($programme IS NULL OR b.programme = $programme)
      AND ($objective IS NULL OR b.strategic_objective = $objective)
      AND ($benefit_id IS NULL OR b.benefit_id = $benefit_id)
      AND ($project_id IS NULL OR b.project_id = $project_id)
      AND ($only_portfolio IS NULL OR b.portfolio = $only_portfolio)
      AND (coalesce(b.currency, upper($currency)) = upper($currency)
           OR $benefit_id IS NOT NULL OR $project_id IS NOT NULL)
    GROUP BY b.as_of
)
SELECT months.as_of, p.planned_total, p.forecast_total, p.realised_to_date, p.risk_adjusted_forecast,
       p.planned_to_date, ratio(p.forecast_total - p.planned_total, p.planned_total) AS erosion,
       coalesce(p.benefits, 0) AS benefits
FROM months
LEFT JOIN per_month AS p USING (as_of)
ORDER BY months.as_of;
