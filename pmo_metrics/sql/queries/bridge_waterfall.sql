-- SPEC §9.2 the erosion bridge as a waterfall for the chart: the five steps of the scope's bridge
-- rows (registered as bridge_rows) in the reporting currency, each bar from `start` to `end`:
-- totals stand on 0, changes float from the total before them. No rows when the scope has no
-- financial flow benefit in that currency.
WITH t AS (
    SELECT sum(original_baseline_total) AS o, sum(rebaselined) AS r, sum(current_baseline_total) AS c,
           sum(forecast_change) AS f, sum(forecast_total) AS ft
    FROM bridge_rows
    WHERE currency = upper($currency)
    HAVING count(*) > 0
)
SELECT s.step_order, s.step, s.kind, s.amount, s.start, s."end"
FROM t,
LATERAL (VALUES (1, 'Original baseline', 'total', t.o, 0.0, t.o),
                (2, 'Approved re-baselines', 'change', t.r, t.o, t.o + t.r),
                (3, 'Current baseline', 'total', t.c, 0.0, t.c),
                (4, 'Forecast change', 'change', t.f, t.c, t.c + t.f),
                (5, 'Forecast total', 'total', t.ft, 0.0, t.ft)) AS s(step_order, step, kind, amount, start, "end")
ORDER BY s.step_order;
