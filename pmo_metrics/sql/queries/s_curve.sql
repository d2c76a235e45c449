-- SPEC §4 level 1 per month for one project ($project_id): cumulative PV (planned cost), EV and AC
-- to the reporting month, and the forecast cost after it (AC to date + Σ forecast_cost), for the
-- delivery S-curve. EV follows sql/macros/common.sql delivery_base: Σ earned_value when the project
-- reports any to date, else the latest percent complete to that month × BAC.
WITH f AS (
    SELECT period, sum(planned_cost) AS planned, sum(actual_cost) AS actual, sum(forecast_cost) AS fcst,
           sum(earned_value) AS earned, max(percent_complete) AS pct
    FROM effective_financials($as_of)
    WHERE project_id = $project_id
    GROUP BY period
),
info AS (
    SELECT count(earned) FILTER (WHERE period <= $as_of) > 0 AS reports_ev,
           coalesce((SELECT any_value(budget_at_completion) FROM effective_projects($as_of)
                     WHERE project_id = $project_id), sum(planned)) AS bac,
           max(period) FILTER (WHERE period <= $as_of) AS last_to_date
    FROM f
),
c AS (
    SELECT period,
           sum(coalesce(planned, 0)) OVER w AS pv,
           sum(coalesce(actual, 0)) OVER w AS ac,
           sum(coalesce(earned, 0)) OVER w AS ev_sum,
           last_value(pct IGNORE NULLS) OVER w AS pct,
           sum(CASE WHEN period > $as_of THEN coalesce(fcst, 0) ELSE 0 END) OVER w AS fcst_after
    FROM f
    WINDOW w AS (ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT c.period, c.pv,
       CASE WHEN c.period <= $as_of THEN CASE WHEN i.reports_ev THEN c.ev_sum ELSE c.pct * i.bac END END AS ev,
       CASE WHEN c.period <= $as_of THEN c.ac END AS ac,
       CASE WHEN c.period > $as_of OR c.period = i.last_to_date
            THEN coalesce((SELECT ac FROM c AS l WHERE l.period = i.last_to_date), 0) + c.fcst_after END AS forecast
FROM c, info AS i
ORDER BY c.period;
