-- SPEC §4 level 1 roll-up: PV, EV, AC, BAC and FAC summed per programme or portfolio (and
-- currency), every ratio recomputed from the sums rather than averaged.
SELECT portfolio, programme, currency, projects, projects_without_ev,
       bac, pv, ev, ac, cv, sv, cpi, spi, eac, fac, etc, vac, tcpi, quality_score, benefit_ownership,
       rag(rag_basis, $delivery_green, $delivery_amber) AS rag
FROM evm($as_of, $portfolio, $programme, $objective, $currency, $level)
ORDER BY portfolio, programme NULLS LAST, currency;
