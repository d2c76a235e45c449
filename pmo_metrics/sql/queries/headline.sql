-- SPEC §5 overview tiles: portfolio-level totals for the scope (money in the reporting currency)
-- and the RAG counts of delivery and benefits, in one query: each of the two per-entity passes is
-- made once and feeds both its totals and its counts. When the caller already has the delivery and
-- benefits tables (the overview, the scorecard), measures.py has it read their rows instead.
WITH project_rags AS MATERIALIZED (
    -- one row per project: the rows and RAG expression of sql/queries/delivery.sql
    SELECT currency, bac, pv, ev, ac, fac,
           delivery_rag(evm_measures(bac, pv, ev, ac, benefits_owned, benefits).rag_basis, delivery_confidence,
                        $delivery_green, $delivery_amber) AS rag
    FROM {delivery_base}($as_of, $portfolio, $programme, $objective, $currency)
),
d AS (
    -- the reporting currency's projects summed (the ratios are recomputed below)
    SELECT sum(bac) AS bac, sum(pv) AS pv, sum(ev) AS ev, sum(ac) AS ac, sum(fac) AS fac
    FROM project_rags
    WHERE currency = upper($currency)
),
benefit_rags AS MATERIALIZED (
    -- one row per benefit: the rows and RAG expression of sql/queries/benefits.sql
    SELECT category, unit, measure, currency, planned_to_date, realised_to_date, planned_total, forecast_total,
           risk_adjusted_forecast, benefit_rag(category, realisation_rate, $benefit_green, $benefit_amber) AS rag
    FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
),
b AS (
    -- the financial flow benefits of the reporting currency summed
    SELECT sum(planned_to_date) AS planned_to_date, sum(realised_to_date) AS realised_to_date,
           sum(planned_total) AS planned_total, sum(forecast_total) AS forecast_total,
           sum(risk_adjusted_forecast) AS risk_adjusted_forecast
    FROM benefit_rags
    WHERE category = 'financial' AND measure = 'flow' AND currency = upper($currency)
),
dis AS (
    -- SPEC §10.1: the money dis-benefits of the reporting currency, netted from the benefits below
    -- and counted as costs in the portfolio ROI (as project_cashflows counts them in NPV)
    SELECT coalesce(sum(realised_to_date), 0) AS dis_benefits,
           coalesce(sum(forecast_total), 0) AS dis_benefits_forecast_total
    FROM benefit_rags
    WHERE money_dis_benefit(category, unit) AND measure = 'flow' AND currency = upper($currency)
),
o AS (
    -- SPEC §9.2: how far those benefits' plans moved from the original baseline (approved re-baselines)
    SELECT coalesce(sum(v.rebaselined), 0) AS rebaselined
    FROM rebaselined_values(DATE '0001-01-01', $as_of) AS v
    SEMI JOIN (SELECT benefit_id FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
               WHERE category = 'financial' AND measure = 'flow' AND currency = upper($currency)) AS f
      USING (benefit_id)
),
monthly AS (
    -- Portfolio ROI to date (SPEC §4 financial return): the monthly cash flows of the projects in
    -- scope, in the reporting currency: benefits realised to date less the costs actual to date.
    SELECT period AS month,
           coalesce(sum(CASE WHEN period <= $as_of THEN realised_value ELSE forecast_value END), 0) AS benefit,
           coalesce(sum(CASE WHEN period <= $as_of THEN actual_cost ELSE forecast_cost END), 0) AS cost
    FROM {flow_rows}($as_of, $portfolio, $programme, $currency)
    WHERE currency = upper($currency) AND ($objective IS NULL OR strategic_objective = $objective)
    GROUP BY period
),
flows AS (
    SELECT sum(benefit) FILTER (WHERE month <= $as_of) AS realised,
           sum(cost) FILTER (WHERE month <= $as_of) AS spent
    FROM monthly
),
project_npv AS (
    -- Portfolio NPV (SPEC §11 roll-ups add up): the sum of the projects' NPVs of sql/queries/returns.sql,
    -- each discounted from its own first month, reporting-currency projects only. One project's stray
    -- early period moves its own NPV and no other.
    SELECT sum((f.benefit - f.cost) * power(1 + $rate, -f.t / 12.0)) AS npv
    FROM {project_flows}($as_of, $portfolio, $programme, $objective, $currency) AS f
    SEMI JOIN (SELECT project_id FROM {scoped_projects}($as_of, $portfolio, $programme, $objective, $currency)
               WHERE currency = upper($currency)) AS p USING (project_id)
),
r AS (
    SELECT project_npv.npv,
           ratio(realised - spent - dis.dis_benefits, spent + dis.dis_benefits) AS roi
    FROM flows, project_npv, dis
)
SELECT b.planned_to_date, b.realised_to_date, ratio(b.realised_to_date, b.planned_to_date) AS realisation_rate,
       b.planned_total, b.forecast_total, ratio(b.forecast_total - b.planned_total, b.planned_total) AS erosion,
       b.risk_adjusted_forecast,
       ratio(d.ev, d.ac) AS cpi, ratio(d.ev, d.pv) AS spi, r.npv, r.roi,
       d.bac, d.ac, d.ev, d.pv, d.fac, ratio(d.bac, ratio(d.ev, d.ac)) AS eac,
       (SELECT count(*) FROM project_rags) AS projects,
       (SELECT count(*) FROM benefit_rags) AS benefits,
       (SELECT count(*) FROM project_rags WHERE currency <> upper($currency)) AS projects_other_currency,
       (SELECT list(struct_pack(rag := rag, n := n)) FROM (SELECT rag, count(*) AS n FROM project_rags GROUP BY rag))
           AS delivery_rag,
       (SELECT list(struct_pack(rag := rag, n := n)) FROM (SELECT rag, count(*) AS n FROM benefit_rags GROUP BY rag))
           AS benefits_rag,
       dis.dis_benefits, coalesce(b.realised_to_date, 0) - dis.dis_benefits AS net_benefit,
       dis.dis_benefits_forecast_total,
       coalesce(b.forecast_total, 0) - dis.dis_benefits_forecast_total AS net_forecast_total,
       -- SPEC §9.2: erosion against the original baseline, beside erosion against the current one
       ratio(b.forecast_total - (b.planned_total - o.rebaselined), b.planned_total - o.rebaselined)
           AS erosion_original
FROM b, r, d, dis, o;
