-- SPEC §10.3 / `pmo-metrics measures raid`: one row per benefit in scope that any RAID item names.
-- value_at_risk_from_risks = Σ probability × impact over the benefit's open risks, capped at its
-- forecast total remaining = forecast total − realised to date, floored at 0. A risk naming several
-- benefits counts in full against each (its impact is what each would lose). Impact is money, so the
-- value at risk is given for benefits in money (financial and unit-less dis-benefits, flow measure);
-- for any other benefit it is empty and risk_exposure shows the uncapped sum. A risk without a
-- probability or an impact is counted in open_risks and adds nothing. overdue_items = open items of any type whose due_date is before the reporting month's
-- first day. An item without a status is open.
WITH per_benefit AS (SELECT * FROM raid_per_benefit($as_of)),
b AS (
    SELECT benefit_id, project_id, benefit_name, category, project_name, portfolio, programme,
           CASE WHEN category = 'financial' OR money_dis_benefit(category, unit) THEN currency END AS currency,
           CASE WHEN (category = 'financial' OR money_dis_benefit(category, unit)) AND measure = 'flow'
                THEN greatest(forecast_total - realised_to_date, 0) END AS forecast_remaining,
           -- the overview's value at risk (value_at_risk.sql), shown beside: planned total − risk-adjusted forecast
           CASE WHEN (category = 'financial' OR money_dis_benefit(category, unit)) AND measure = 'flow'
                THEN planned_total - risk_adjusted_forecast END AS forecast_shortfall
    FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
)
SELECT b.benefit_id, b.project_id, r.open_risks,
       risk_value_at_risk(r.risk_exposure, b.forecast_remaining) AS value_at_risk_from_risks,
       r.open_issues, r.overdue_items,
       r.risk_exposure, b.forecast_remaining, r.open_assumptions, r.items,
       b.benefit_name, b.category, b.project_name, b.portfolio, b.programme, b.currency, b.forecast_shortfall
FROM per_benefit AS r
JOIN b USING (benefit_id)
ORDER BY value_at_risk_from_risks DESC NULLS LAST, b.project_id, b.benefit_id;
