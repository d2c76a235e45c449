-- SPEC §4 level 3 value at risk = planned total − risk-adjusted forecast (forecast total ×
-- confidence), financial flow benefits in the reporting currency: per benefit ($level =
-- 'benefit') or summed per project ($level = 'project', with the project's delivery RAG), the
-- $top largest first. The overview's "top value at risk" tables read these rows.
WITH b AS (
    SELECT benefit_id, benefit_name, project_id, project_name, realisation_rate,
           benefit_rag(category, realisation_rate, $benefit_green, $benefit_amber) AS rag,
           planned_total, risk_adjusted_forecast,
           planned_total - risk_adjusted_forecast AS value_at_risk,
           greatest(forecast_total - realised_to_date, 0) AS forecast_remaining
    FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
    WHERE category = 'financial' AND measure = 'flow' AND currency = upper($currency)
),
risks AS (
    -- SPEC §10.3: beside the forecast shortfall, the value at risk from the benefit's open RAID risks
    SELECT b.benefit_id, risk_value_at_risk(r.risk_exposure, b.forecast_remaining) AS value_at_risk_from_risks,
           coalesce(r.open_risks, 0) AS open_risks
    FROM b LEFT JOIN raid_per_benefit($as_of) AS r USING (benefit_id)
),
p AS (
    SELECT project_id, any_value(project_name) AS project_name, sum(value_at_risk) AS value_at_risk,
           sum(planned_total) AS planned_total, count(*) AS benefits,
           sum(risks.value_at_risk_from_risks) AS value_at_risk_from_risks,
           CAST(sum(risks.open_risks) AS BIGINT) AS open_risks
    FROM b JOIN risks USING (benefit_id)
    GROUP BY project_id
),
d AS (
    SELECT project_id,
           rag(evm_measures(bac, pv, ev, ac, benefits_owned, benefits).rag_basis, $delivery_green, $delivery_amber)
               AS rag
    FROM {delivery_base}($as_of, $portfolio, $programme, $objective, $currency)
)
SELECT 'benefit' AS level, benefit_id, benefit_name, project_id, project_name, value_at_risk, planned_total,
       realisation_rate, rag, risks.value_at_risk_from_risks, CAST(risks.open_risks AS BIGINT) AS open_risks
FROM b JOIN risks USING (benefit_id)
WHERE $level = 'benefit' AND value_at_risk IS NOT NULL
UNION ALL
SELECT 'project', NULL, NULL, p.project_id, p.project_name, p.value_at_risk, p.planned_total, NULL, d.rag,
       p.value_at_risk_from_risks, p.open_risks
FROM p LEFT JOIN d USING (project_id)
WHERE $level = 'project' AND p.value_at_risk IS NOT NULL
ORDER BY value_at_risk DESC, project_id, benefit_id
LIMIT $top;
