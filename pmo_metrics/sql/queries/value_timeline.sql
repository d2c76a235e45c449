-- SPEC §5 headline chart: planned, realised and forecast value per calendar month, cumulative,
-- over the financial flow benefits in scope (reporting currency). Realised stops at m; the
-- forecast line is realised to m, then the forecast after it. The month's sums come from
-- flow_rows (the benefits' values summed per month when they were loaded), not the stored values.
WITH v AS (
    SELECT period,
           sum(planned_value) AS planned,
           sum(realised_value) FILTER (WHERE period <= $as_of) AS realised,
           sum(forecast_value) FILTER (WHERE period > $as_of) AS forecast
    FROM {flow_rows}($as_of, $portfolio, $programme, $currency)
    WHERE source = 'benefit_values' AND currency = upper($currency)
      AND ($objective IS NULL OR benefit_objective = $objective)
    GROUP BY period
),
months AS (
    SELECT CAST(g.period AS DATE) AS period
    FROM (SELECT min(period) AS first, max(period) AS last FROM v) AS s,
         LATERAL unnest(generate_series(s.first, s.last, INTERVAL 1 MONTH)) AS g(period)
    WHERE s.first IS NOT NULL
),
monthly AS (
    SELECT months.period,
           coalesce(v.planned, 0) AS planned,
           CASE WHEN months.period <= $as_of THEN coalesce(v.realised, 0) END AS realised,
           CASE WHEN months.period > $as_of THEN coalesce(v.forecast, 0) END AS forecast
    FROM months
    LEFT JOIN v USING (period)
)
SELECT period,
       sum(planned) OVER w AS planned_cum,
       CASE WHEN period <= $as_of THEN sum(realised) OVER w END AS realised_cum,
       sum(coalesce(realised, forecast)) OVER w AS forecast_cum,
       planned, realised, forecast
FROM monthly
WINDOW w AS (ORDER BY period)
ORDER BY period;
