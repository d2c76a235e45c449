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
           planned_to_date, realised_to_date, planned_total, forecast_total, risk_adjusted_forecast
    FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
    WHERE category = 'financial' AND measure = 'flow' AND currency = upper($currency)
),
g AS (
    SELECT grp, any_value(grp_name) AS grp_name, count(*) AS benefits,
           sum(planned_to_date) AS planned_to_date, sum(realised_to_date) AS realised_to_date,
           sum(planned_total) AS planned_total, sum(forecast_total) AS forecast_total,
           sum(risk_adjusted_forecast) AS risk_adjusted_forecast
    FROM b
    GROUP BY grp
),
ranked AS (
    SELECT *, row_number() OVER (ORDER BY planned_to_date DESC NULLS LAST, grp NULLS LAST) AS rank FROM g
),
shown AS (
    SELECT grp, grp_name, benefits, planned_to_date, realised_to_date, planned_total, forecast_total,
           risk_adjusted_forecast, rank, false AS others
    FROM ranked WHERE $top IS NULL OR rank <= $top
    UNION ALL
    SELECT NULL, 'Others (' || count(*) || ')', CAST(sum(benefits) AS BIGINT), sum(planned_to_date), sum(realised_to_date),
           sum(planned_total), sum(forecast_total), sum(risk_adjusted_forecast), $top + 1, true
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
       planned_total, forecast_total, risk_adjusted_forecast, others, rank
FROM shown
ORDER BY rank;
