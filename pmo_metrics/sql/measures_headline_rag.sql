-- SPEC §5 overview tiles: how many delivery and benefit rows are green, amber, red or empty, in
-- one query instead of building the delivery and benefits tables only to count their RAG column.
-- Each count is over the very rows and RAG expression of measures_delivery.sql (one evm row per
-- project) and measures_benefits.sql (one benefit_rows row per benefit).
SELECT 'delivery' AS level, rag(rag_basis, $delivery_green, $delivery_amber) AS rag, count(*) AS n
FROM evm($as_of, $portfolio, $programme, $objective, $currency, 'project')
GROUP BY ALL
UNION ALL
SELECT 'benefits' AS level, rag(realisation_rate, $benefit_green, $benefit_amber) AS rag, count(*) AS n
FROM benefit_rows($as_of, $portfolio, $programme, $objective, $currency)
GROUP BY ALL;
