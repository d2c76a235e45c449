-- SPEC §11 charts at scale: the financial benefits of ended projects (registered as sustained_rows,
-- from sql/queries/sustained.sql) with the $top largest values realised after closure, and one
-- "Others (N)" row summing the rest.
WITH r AS (
    SELECT *, row_number() OVER (ORDER BY sustained_value DESC, benefit_id) AS rank
    FROM sustained_rows
    WHERE sustained_value IS NOT NULL
)
SELECT benefit_id, benefit_name, project_name, end_month, sustained, sustained_value, rank, false AS others
FROM r WHERE rank <= $top
UNION ALL
SELECT NULL, 'Others (' || count(*) || ')', NULL, NULL, NULL, sum(sustained_value), $top + 1, true
FROM r WHERE rank > $top
HAVING count(*) > 0
ORDER BY rank;
