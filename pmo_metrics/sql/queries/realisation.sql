-- SPEC §4 level 3, §11 one truth: planned and realised value to date of the financial flow
-- benefits (reporting currency) per strategic objective, portfolio, programme or project ($by),
-- with the realisation rate and its RAG decided here on the unrounded rate. The realisation
-- charts, the waterfall and the drill-down's figures all read these rows, so a chart and the
-- figure beside it cannot disagree. With $top set, the groups beyond the $top largest by planned
-- value to date are summed into one "Others (N)" row (its rate recomputed from the sums).
WITH b AS (
    SELECT CASE $by WHEN 'portfolio' THEN portfolio WHEN 'programme' THEN programme
                    WHEN 'project' THEN project_id ELSE strategic_objective END AS grp,
           CASE $by WHEN 'project' THEN project_name END AS grp_name,
           planned_to_date, realised_to_date, planned_total, forecast_total, risk_adjusted_forecast,
           category = 'dis_benefit' AS dis  -- SPEC §10.1: summed apart, and netted at the end
    FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
    WHERE (category = 'financial' OR money_dis_benefit(category, unit)) AND measure = 'flow'
      AND currency = upper($currency)
),
g AS (
    SELECT grp, any_value(grp_name) AS grp_name, count(*) FILTER (WHERE NOT dis) AS benefits,
           sum(planned_to_date) FILTER (WHERE NOT dis) AS planned_to_date,
           sum(realised_to_date) FILTER (WHERE NOT dis) AS realised_to_date,
           sum(planned_total) FILTER (WHERE NOT dis) AS planned_total,
           sum(forecast_total) FILTER (WHERE NOT dis) AS forecast_total,
           sum(risk_adjusted_forecast) FILTER (WHERE NOT dis) AS risk_adjusted_forecast,
           sum(realised_to_date) FILTER (WHERE dis) AS dis_benefits,
           sum(forecast_total) FILTER (WHERE dis) AS dis_benefits_forecast_total
    FROM b
    GROUP BY grp
),
ranked AS (
    SELECT *, row_number() OVER (ORDER BY planned_to_date DESC NULLS LAST, grp NULLS LAST) AS rank FROM g
),
shown AS (
    SELECT grp, grp_name, benefits, planned_to_date, realised_to_date, planned_total, forecast_total,
           risk_adjusted_forecast, rank, false AS others, dis_benefits, dis_benefits_forecast_total
    FROM ranked WHERE $top IS NULL OR rank <= $top
    UNION ALL
    SELECT NULL, 'Others (' || count(*) || ')', CAST(sum(benefits) AS BIGINT), sum(planned_to_date), sum(realised_to_date),
           sum(planned_total), sum(forecast_total), sum(risk_adjusted_forecast), $top + 1, true,
           sum(dis_benefits), sum(dis_benefits_forecast_total)
    FROM ranked WHERE $top IS NOT NULL AND rank > $top
    HAVING count(*) > 0
)
SELECT grp AS "group",
       CASE WHEN others THEN grp_name
            WHEN grp IS NULL THEN CASE $by WHEN 'strategic_objective' THEN 'No objective set'
                                           ELSE 'Not set' END
            WHEN grp_name IS NOT NULL THEN grp || ' · ' || grp_name ELSE grp END AS label,
       benefits, planned_to_date, realised_to_date,
       ratio(realised_to_date, planned_to_date) AS realisation_rate,
       rag(ratio(realised_to_date, planned_to_date), $benefit_green, $benefit_amber) AS rag,
       realised_to_date - planned_to_date AS benefit_variance,
       planned_total, forecast_total, risk_adjusted_forecast, others, rank,
       -- SPEC §10.1: net benefit = benefits − dis-benefits, both shown (empty parts count as 0)
       coalesce(dis_benefits, 0) AS dis_benefits,
       coalesce(realised_to_date, 0) - coalesce(dis_benefits, 0) AS net_benefit,
       coalesce(dis_benefits_forecast_total, 0) AS dis_benefits_forecast_total,
       coalesce(forecast_total, 0) - coalesce(dis_benefits_forecast_total, 0) AS net_forecast_total
FROM shown
ORDER BY rank;
