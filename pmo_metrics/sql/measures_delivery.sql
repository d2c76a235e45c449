-- SPEC §4 level 1 / §5 `delivery`: one row per project in scope, earned value against plan.
SELECT e.project_id, e.bac, e.pv, e.ev, e.ac, e.cv, e.sv, e.cpi, e.spi, e.eac, e.fac, e.etc, e.vac,
       e.tcpi, e.quality_score, e.benefit_ownership,
       rag(e.rag_basis, $delivery_green, $delivery_amber) AS rag,
       d.project_name, d.portfolio, d.programme, d.strategic_objective, d.stage, d.currency,
       d.ev_method, d.percent_complete, d.benefits, d.benefits_owned
FROM evm($as_of, $portfolio, $programme, $objective, $currency, 'project') AS e
JOIN delivery_base($as_of, $portfolio, $programme, $objective, $currency) AS d USING (project_id)
ORDER BY d.portfolio, d.programme NULLS LAST, e.project_id;
