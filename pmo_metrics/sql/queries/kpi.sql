-- SPEC §4 level 2 / §5 `kpi`: one row per KPI and grain (month, fiscal quarter to date, fiscal
-- year to date), then one per portfolio spend KPI and grain.
WITH kpi AS (
    SELECT kpi_id, grain, grain_order, period_start, actual, budget, forecast, target, attainment,
           kpi_name, strategic_objective, unit, direction, aggregation, months_with_actual, withheld,
           CAST(NULL AS DOUBLE) AS outturn_budget, CAST(NULL AS DOUBLE) AS outturn_forecast,
           CAST(NULL AS VARCHAR) AS portfolio
    FROM {kpi_rows}($as_of, $objective, $fy_start)
),
spend_financials AS (
    -- the financials of the projects in scope, summed per portfolio, currency and month when they
    -- were loaded (flow_rows); the projects' objective is the objective filter
    SELECT portfolio, currency, period, planned_cost, actual_cost, forecast_cost, actual_cost_months
    FROM {flow_rows}($as_of, $portfolio, $programme, $currency)
    WHERE source = 'financials' AND ($objective IS NULL OR strategic_objective = $objective)
),
spend AS (
    -- Portfolio spend as a KPI. Every window month is <= m, so the SPEC's forecast
    -- (actual to date + forecast after m) equals the actual inside the window; the full fiscal
    -- period's outturn (actual to date + forecast to the period's end) is given alongside.
    -- Spend has no target, so attainment and RAG are empty; less spend is read as better.
    SELECT 'spend:' || f.portfolio || CASE WHEN f.currency <> upper($currency) THEN ':' || f.currency ELSE '' END
               AS kpi_id,
           w.grain, w.grain_order, w.period_start,
           coalesce(sum(f.actual_cost) FILTER (WHERE f.period BETWEEN w.period_start AND $as_of), 0) AS actual,
           coalesce(sum(f.planned_cost) FILTER (WHERE f.period BETWEEN w.period_start AND $as_of), 0) AS budget,
           coalesce(sum(f.actual_cost) FILTER (WHERE f.period BETWEEN w.period_start AND $as_of), 0)
             + coalesce(sum(f.forecast_cost)
                        FILTER (WHERE f.period BETWEEN w.period_start AND $as_of AND f.period > $as_of), 0)
               AS forecast,
           CAST(NULL AS DOUBLE) AS target,
           CAST(NULL AS DOUBLE) AS attainment,
           'Portfolio spend: ' || f.portfolio AS kpi_name,
           CAST(NULL AS VARCHAR) AS strategic_objective,
           f.currency AS unit, 'lower_is_better' AS direction, 'sum' AS aggregation,
           CAST(coalesce(sum(f.actual_cost_months) FILTER (WHERE f.period BETWEEN w.period_start AND $as_of), 0)
                AS BIGINT) AS months_with_actual,
           CAST(NULL AS BIGINT) AS withheld,
           coalesce(sum(f.planned_cost) FILTER (WHERE f.period BETWEEN w.period_start AND w.fiscal_end), 0)
               AS outturn_budget,
           coalesce(sum(f.actual_cost) FILTER (WHERE f.period BETWEEN w.period_start AND $as_of), 0)
             + coalesce(sum(f.forecast_cost) FILTER (WHERE f.period > $as_of AND f.period <= w.fiscal_end), 0)
               AS outturn_forecast,
           f.portfolio
    FROM spend_financials AS f
    CROSS JOIN fiscal_windows($as_of, $fy_start) AS w
    GROUP BY f.portfolio, f.currency, w.grain, w.grain_order, w.period_start, w.fiscal_end
),
rows AS (SELECT * FROM kpi UNION ALL BY NAME SELECT * FROM spend)
SELECT kpi_id, grain, CAST($as_of AS DATE) AS period_end, actual, budget, forecast, target,
       actual - budget AS var_budget, ratio(actual - budget, abs(budget)) AS var_budget_pct,
       actual - forecast AS var_forecast, ratio(actual - forecast, abs(forecast)) AS var_forecast_pct,
       actual - target AS var_target, ratio(actual - target, abs(target)) AS var_target_pct,
       attainment, rag(attainment, $kpi_green, $kpi_amber) AS rag,
       kpi_name, strategic_objective, unit, direction, aggregation, period_start, months_with_actual,
       outturn_budget, outturn_forecast, portfolio, withheld
FROM rows
ORDER BY kpi_id LIKE 'spend:%', kpi_id, grain_order;
