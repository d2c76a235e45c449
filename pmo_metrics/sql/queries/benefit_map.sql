-- SPEC §10.2: the benefit map as of $as_of, laid out left to right, one row per node (kind
-- 'node') and one per link (kind 'link'), so the chart only encodes.
-- A node's type: a project, else a benefit (dis-benefits too), else a strategic objective, else the
-- node_type of the first row that types it (the order validate.map_node_types checks). Layers (x):
-- project 0, enabler 1, outcome 2, benefit 3, objective 4. Within a layer (y) nodes are ordered by
-- the first project (in project_id order) they descend from, then by id, so a project's chain
-- stays together; nodes no project reaches come last. y is centred: rank − (nodes in layer + 1) / 2.
-- With a portfolio, programme or objective filter, links touching a project or benefit out of scope
-- are dropped; a node is shown when a kept link joins it (either way, through any nodes) to a project
-- or benefit of the scope, and a link when both its ends are shown. Value (size): a project's BAC, a benefit's forecast
-- total (its planned total when it has none), an objective's Σ forecast total of its financial flow
-- benefits; enablers and outcomes have none. RAG: delivery, benefit (mirrored for dis-benefits) and
-- objective realisation RAGs as on their own pages; enablers and outcomes have none.
WITH map_links AS (SELECT * FROM effective_benefit_map($as_of)),
map_projects AS (
    SELECT project_id AS node_id, project_name AS name, bac AS value, portfolio, project_id,
           delivery_rag(evm_measures(bac, pv, ev, ac, benefits_owned, benefits).rag_basis, delivery_confidence,
                        $delivery_green, $delivery_amber) AS rag
    FROM {delivery_base}($as_of, $portfolio, $programme, $objective, $currency)
),
map_benefits AS (
    SELECT benefit_id AS node_id, benefit_name AS name, category, portfolio, project_id,
           coalesce(forecast_total, planned_total) AS value,
           benefit_rag(category, realisation_rate, $benefit_green, $benefit_amber) AS rag
    FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
),
all_projects AS (SELECT project_id FROM effective_projects($as_of)),
all_benefits AS (SELECT benefit_id FROM effective_benefits($as_of)),
objective_names AS (
    SELECT strategic_objective FROM effective_projects($as_of) WHERE strategic_objective IS NOT NULL
    UNION SELECT strategic_objective FROM effective_benefits($as_of) WHERE strategic_objective IS NOT NULL
    UNION SELECT strategic_objective FROM effective_kpis($as_of) WHERE strategic_objective IS NOT NULL
),
map_objectives AS (
    SELECT strategic_objective AS node_id, strategic_objective AS name,
           sum(forecast_total) FILTER (WHERE category = 'financial' AND measure = 'flow') AS value,
           rag(ratio(sum(realised_to_date) FILTER (WHERE category = 'financial' AND measure = 'flow'),
                     sum(planned_to_date) FILTER (WHERE category = 'financial' AND measure = 'flow')),
               $benefit_green, $benefit_amber) AS rag
    FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
    WHERE strategic_objective IS NOT NULL
    GROUP BY strategic_objective
),
map_mentions AS (
    SELECT from_id AS node_id, node_type, source_row, 0 AS side FROM map_links
    UNION ALL
    SELECT to_id, node_type, source_row, 1 FROM map_links
),
typed AS (
    SELECT m.node_id,
           CASE WHEN m.node_id IN (SELECT project_id FROM all_projects) THEN 'project'
                WHEN m.node_id IN (SELECT benefit_id FROM all_benefits) THEN 'benefit'
                WHEN m.node_id IN (SELECT strategic_objective FROM objective_names) THEN 'objective'
                ELSE arg_min(m.node_type, (m.source_row, m.side)) FILTER (WHERE m.node_type IS NOT NULL) END
               AS node_type
    FROM map_mentions AS m
    GROUP BY m.node_id
),
in_scope AS (
    -- projects and benefits of the scope; every other node is kept while a link to it is
    SELECT ty.node_id, ty.node_type FROM typed AS ty
    WHERE ty.node_type NOT IN ('project', 'benefit')
       OR ty.node_id IN (SELECT node_id FROM map_projects) OR ty.node_id IN (SELECT node_id FROM map_benefits)
),
kept_links AS (
    SELECT l.* FROM map_links AS l
    WHERE l.from_id IN (SELECT node_id FROM in_scope) AND l.to_id IN (SELECT node_id FROM in_scope)
),
connected AS (
    -- the nodes joined, through kept links in either direction, to a project or benefit of the scope
    WITH RECURSIVE c(node_id) AS (
        SELECT node_id FROM in_scope WHERE node_type IN ('project', 'benefit')
        UNION
        SELECT CASE WHEN k.from_id = c.node_id THEN k.to_id ELSE k.from_id END
        FROM c JOIN kept_links AS k ON c.node_id = k.from_id OR c.node_id = k.to_id
    )
    SELECT node_id FROM c
),
nodes AS (
    SELECT s.node_id, s.node_type,
           CASE s.node_type WHEN 'project' THEN 0 WHEN 'enabler' THEN 1 WHEN 'outcome' THEN 2
                            WHEN 'benefit' THEN 3 ELSE 4 END AS layer
    FROM in_scope AS s
    WHERE s.node_id IN (SELECT from_id FROM kept_links UNION SELECT to_id FROM kept_links)
      AND s.node_id IN (SELECT node_id FROM connected)
),
project_rank AS (
    SELECT node_id, row_number() OVER (ORDER BY node_id) AS root FROM nodes WHERE node_type = 'project'
),
reach AS (
    -- every node a project leads to, with that project's rank (the map is acyclic, so this ends)
    WITH RECURSIVE r(node_id, root) AS (
        SELECT node_id, root FROM project_rank
        UNION
        SELECT k.to_id, r.root FROM r JOIN kept_links AS k ON k.from_id = r.node_id
    )
    SELECT node_id, min(root) AS root FROM r GROUP BY node_id
),
placed AS (
    SELECT n.*, reach.root,
           row_number() OVER (PARTITION BY n.layer ORDER BY reach.root NULLS LAST, n.node_id) AS rank,
           count(*) OVER (PARTITION BY n.layer) AS in_layer
    FROM nodes AS n LEFT JOIN reach USING (node_id)
),
assumptions AS (
    SELECT benefit_id AS node_id, count(*) AS open_assumptions,
           string_agg(title, '; ' ORDER BY raid_id) AS assumption_titles
    FROM raid_benefit_items($as_of)
    WHERE type = 'assumption' AND is_open AND benefit_id IS NOT NULL
    GROUP BY benefit_id
),
node_rows AS (
    SELECT 'node' AS kind, p.node_id, p.node_type,
           CASE WHEN p.node_type = 'benefit' AND b.category = 'dis_benefit' THEN 'dis-benefit'
                ELSE p.node_type END AS node_label,
           coalesce(pr.name, b.name, o.name, p.node_id) AS name,
           p.layer AS x, p.rank - (p.in_layer + 1) / 2.0 AS y,
           coalesce(pr.value, b.value, o.value) AS value,
           coalesce(pr.rag, b.rag, o.rag) AS rag,
           coalesce(a.open_assumptions, 0) AS open_assumptions, a.assumption_titles,
           CAST(NULL AS VARCHAR) AS from_id, CAST(NULL AS VARCHAR) AS to_id, CAST(NULL AS VARCHAR) AS relation,
           CAST(NULL AS DOUBLE) AS weight, CAST(NULL AS DOUBLE) AS x2, CAST(NULL AS DOUBLE) AS y2,
           -- where a click on a project or benefit node drills down to
           coalesce(pr.portfolio, b.portfolio) AS portfolio, coalesce(pr.project_id, b.project_id) AS project_id
    FROM placed AS p
    LEFT JOIN map_projects AS pr ON p.node_type = 'project' AND pr.node_id = p.node_id
    LEFT JOIN map_benefits AS b ON p.node_type = 'benefit' AND b.node_id = p.node_id
    LEFT JOIN map_objectives AS o ON p.node_type = 'objective' AND o.node_id = p.node_id
    LEFT JOIN assumptions AS a ON a.node_id = p.node_id
)
SELECT * FROM node_rows
UNION ALL
SELECT 'link', NULL, NULL, NULL, NULL, f.x, f.y, NULL, NULL, NULL, NULL,
       k.from_id, k.to_id, k.relation, k.weight, dest.x, dest.y, NULL, NULL
FROM kept_links AS k
JOIN node_rows AS f ON f.node_id = k.from_id
JOIN node_rows AS dest ON dest.node_id = k.to_id
ORDER BY kind DESC, x, y, from_id, to_id;
