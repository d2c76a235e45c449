-- SPEC §4 level 1 / §5 `delivery`: one row per project in scope, earned value against plan; the RAG
-- falls back to the project's delivery confidence where it has no min(CPI, SPI) (SPEC §8.1).
WITH e AS (
    SELECT *, unnest(evm_measures(bac, pv, ev, ac, benefits_owned, benefits))
    FROM {delivery_base}($as_of, $portfolio, $programme, $objective, $currency)
)
SELECT project_id, bac, pv, ev, ac, cv, sv, cpi, spi, eac, fac, etc, vac,
       tcpi, quality_score, benefit_ownership,
       delivery_rag(rag_basis, delivery_confidence, $delivery_green, $delivery_amber) AS rag,
       project_name, portfolio, programme, strategic_objective, stage, currency,
       ev_method, percent_complete, benefits, benefits_owned, withheld,
       delivery_confidence, delivery_rag_source(rag_basis, delivery_confidence) AS rag_source
FROM e
ORDER BY portfolio, programme NULLS LAST, project_id;
