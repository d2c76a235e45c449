-- SPEC §11 charts at scale: the delivery roll-up rows (registered as rollup_rows, from
-- sql/queries/delivery_rollup.sql) of the $top largest groups by BAC, and one "Others (N)" row
-- summing the rest (reporting currency), its CPI, SPI and RAG recomputed from the sums.
WITH ranked AS (
    SELECT *, row_number() OVER (ORDER BY bac DESC NULLS LAST, portfolio, programme) AS rank FROM rollup_rows
),
others AS (
    SELECT 'Others (' || count(*) || ')' AS name, CAST(sum(projects) AS BIGINT) AS projects, sum(bac) AS bac, sum(pv) AS pv,
           sum(ev) AS ev, sum(ac) AS ac
    FROM ranked
    WHERE rank > $top AND currency = upper($currency)
    HAVING count(*) > 0
)
SELECT CASE WHEN $level = 'programme' THEN programme ELSE portfolio END AS name, projects, bac, cpi, spi, rag,
       rank, false AS others
FROM ranked
WHERE rank <= $top
UNION ALL
SELECT name, projects, bac, ratio(ev, ac), ratio(ev, pv),
       rag(least(ratio(ev, ac), ratio(ev, pv)), $delivery_green, $delivery_amber), $top + 1, true
FROM others
ORDER BY rank;
