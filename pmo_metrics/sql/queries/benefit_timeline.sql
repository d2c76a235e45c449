-- SPEC §4 level 3 per month for one benefit ($benefit_id), as the drill-down's value chart shows it:
-- a flow benefit cumulative (planned over every month; realised to the reporting month; the
-- forecast line from the realised total at the last month to date, adding the forecast after it);
-- a level benefit as its readings (realised to date, forecast after).
WITH b AS (
    SELECT coalesce(measure, CASE WHEN category = 'financial' OR money_dis_benefit(category, unit) THEN 'flow' ELSE 'level' END) AS measure
    FROM effective_benefits($as_of) WHERE benefit_id = $benefit_id
),
v AS (
    SELECT period, sum(planned_value) AS planned, sum(realised_value) AS realised, sum(forecast_value) AS fcst
    FROM effective_benefit_values($as_of)
    WHERE benefit_id = $benefit_id
    GROUP BY period
),
c AS (
    SELECT period, planned, realised, fcst,
           sum(coalesce(planned, 0)) OVER w AS planned_sum,
           sum(CASE WHEN period <= $as_of THEN coalesce(realised, 0) ELSE 0 END) OVER w AS realised_sum,
           sum(CASE WHEN period > $as_of THEN coalesce(fcst, 0) ELSE 0 END) OVER w AS fcst_after
    FROM v
    WINDOW w AS (ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
last AS (SELECT max(period) FILTER (WHERE period <= $as_of) AS last_to_date FROM v)
SELECT c.period,
       CASE WHEN b.measure = 'flow' THEN c.planned_sum ELSE c.planned END AS planned_cum,
       CASE WHEN c.period <= $as_of THEN CASE WHEN b.measure = 'flow' THEN c.realised_sum ELSE c.realised END
       END AS realised_cum,
       CASE WHEN b.measure = 'flow' AND (c.period > $as_of OR c.period = last.last_to_date)
                THEN coalesce((SELECT realised_sum FROM c AS l WHERE l.period = last.last_to_date), 0) + c.fcst_after
            WHEN b.measure <> 'flow' AND c.period > $as_of THEN c.fcst END AS forecast_cum
FROM c, b, last
ORDER BY c.period;
