-- SPEC §4 level 3 / §5 `benefits`: one row per benefit in scope.
SELECT benefit_id, project_id, measure, planned_to_date, realised_to_date, planned_total, forecast_total,
       realisation_rate, benefit_variance, erosion, risk_adjusted_forecast, progress_to_target,
       benefit_rag(category, realisation_rate, $benefit_green, $benefit_amber) AS rag,
       benefit_name, category, benefit_type, owner, unit, baseline_value, target_value, confidence,
       strategic_objective, project_name, portfolio, programme,
       -- a financial benefit is in its project's currency; other benefits are in their unit
       CASE WHEN category = 'financial' OR money_dis_benefit(category, unit) THEN currency END AS currency,
       withheld,  -- SPEC §7.3: inputs of this row that were withheld
       -- SPEC §9.3: realised to date in validated periods, the claimed figure, and the validated
       -- share of the claim (a flow benefit's; a level benefit's reading is validated or not)
       validated_to_date, claimed_to_date,
       CASE WHEN measure = 'flow' THEN ratio(validated_to_date, claimed_to_date) END AS validated_share,
       -- SPEC §9.2: erosion against the original baseline (the plan before any approved re-baseline)
       CASE WHEN measure = 'flow'
            THEN ratio(forecast_total - (planned_total - coalesce(o.rebaselined, 0)),
                       planned_total - coalesce(o.rebaselined, 0)) END AS erosion_original,
       CASE WHEN measure = 'flow' THEN planned_total - coalesce(o.rebaselined, 0) END AS original_planned_total
FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
LEFT JOIN rebaselined_values(DATE '0001-01-01', $as_of) AS o USING (benefit_id)
ORDER BY portfolio, programme NULLS LAST, project_id, benefit_id;
