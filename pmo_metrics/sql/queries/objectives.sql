-- SPEC §4 objective attainment / §5 `objectives`: one row per strategic objective that has a
-- financial flow benefit (in the reporting currency) or a KPI in scope. Benefits carry their
-- own objective, else their project's; rows without any objective are left out. When the caller
-- already has the benefits and kpi tables (the scorecard), measures.py has it read their rows
-- instead (the kpi table's spend rows have no objective).
WITH benefit_side AS (
    SELECT strategic_objective,
           count(*) FILTER (WHERE category = 'financial') AS benefits,
           sum(planned_to_date) FILTER (WHERE category = 'financial') AS planned_to_date,
           sum(realised_to_date) FILTER (WHERE category = 'financial') AS realised_to_date,
           sum(planned_total) FILTER (WHERE category = 'financial') AS planned_total,
           sum(forecast_total) FILTER (WHERE category = 'financial') AS forecast_total,
           -- SPEC §10.1: money dis-benefits summed apart, netted below
           sum(realised_to_date) FILTER (WHERE category = 'dis_benefit') AS dis_benefits,
           sum(forecast_total) FILTER (WHERE category = 'dis_benefit') AS dis_benefits_forecast_total
    FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
    WHERE (category = 'financial' OR money_dis_benefit(category, unit)) AND measure = 'flow'
      AND currency = upper($currency)
      AND strategic_objective IS NOT NULL
    GROUP BY strategic_objective
),
kpi_side AS (
    -- mean of the year-to-date attainments; KPIs without a target have none and do not count
    SELECT strategic_objective, count(*) AS kpis, avg(attainment) AS kpi_attainment
    FROM {kpi_rows}($as_of, $objective, $fy_start)
    WHERE grain = 'year' AND strategic_objective IS NOT NULL
    GROUP BY strategic_objective
)
SELECT strategic_objective, b.planned_to_date, b.realised_to_date,
       ratio(b.realised_to_date, b.planned_to_date) AS realisation_rate,
       k.kpi_attainment,
       coalesce(b.benefits, 0) AS benefits, coalesce(k.kpis, 0) AS kpis,
       b.planned_total, b.forecast_total,
       rag(ratio(b.realised_to_date, b.planned_to_date), $benefit_green, $benefit_amber) AS rag,
       rag(k.kpi_attainment, $kpi_green, $kpi_amber) AS kpi_rag,
       coalesce(b.dis_benefits, 0) AS dis_benefits,
       coalesce(b.realised_to_date, 0) - coalesce(b.dis_benefits, 0) AS net_benefit,
       coalesce(b.dis_benefits_forecast_total, 0) AS dis_benefits_forecast_total,
       coalesce(b.forecast_total, 0) - coalesce(b.dis_benefits_forecast_total, 0) AS net_forecast_total
FROM benefit_side AS b
FULL OUTER JOIN kpi_side AS k USING (strategic_objective)
ORDER BY strategic_objective;
