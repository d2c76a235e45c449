-- Portfolio membership and reporting completeness (SPEC §7.1, §7.2), as macros the store keeps in
-- the database with the snapshot macros (effective.sql).
--
-- An upload *lists* a project when any of its sheets names it (upload_projects, schema_v6.sql).
-- A *complete* upload lists every project of each portfolio it names: a project stored in one of
-- those portfolios at the upload's month but not listed by it has left as of that month, until
-- a later upload lists it again.

-- The loaded uploads' listed projects, each with the portfolio it is in at that upload: the
-- upload's own Projects row, else the project's stored version at the upload's month.
CREATE OR REPLACE MACRO listed_projects() AS TABLE
    SELECT l.upload_id, u.as_of, coalesce(u.complete, false) AS complete, l.project_id,
           coalesce(l.portfolio, p.portfolio) AS portfolio
    FROM upload_projects AS l
    JOIN uploads AS u USING (upload_id)
    LEFT JOIN entity_validity AS v
      ON v.kind = 'projects' AND v.entity_key = l.project_id
     AND v.valid_from <= u.as_of AND (v.valid_to IS NULL OR v.valid_to > u.as_of)
    LEFT JOIN projects AS p ON p.upload_id = v.upload_id AND p.project_id = v.entity_key
    WHERE u.status = 'loaded';

-- Every membership event: `present` when an upload lists the project; not present when a
-- complete upload covers the portfolio the project is stored in at its month but leaves it out.
-- A complete upload covers the portfolios it names and, as it is a new version of the complete
-- lists before it that share a named portfolio with it, the portfolios those named: a portfolio
-- renamed or closed between two complete lists of the same whole (a department merged into
-- another) does not keep its projects in for ever. Complete lists with no portfolio in common
-- (programme offices each listing their own portfolio) never touch each other.
CREATE OR REPLACE MACRO membership_events() AS TABLE
    WITH listed AS MATERIALIZED (SELECT * FROM listed_projects()),
    named AS MATERIALIZED (
        SELECT DISTINCT upload_id, as_of, portfolio FROM listed WHERE complete AND portfolio IS NOT NULL
    ),
    superseded AS (
        -- earlier complete lists sharing a named portfolio with a later one
        SELECT DISTINCT c.upload_id, c.as_of, d.upload_id AS earlier_id
        FROM named AS c
        JOIN named AS d
          ON d.portfolio = c.portfolio
         AND (d.as_of < c.as_of OR (d.as_of = c.as_of AND d.upload_id < c.upload_id))
    ),
    covered AS (
        SELECT upload_id, as_of, portfolio FROM named
        UNION
        SELECT s.upload_id, s.as_of, d.portfolio
        FROM superseded AS s JOIN named AS d ON d.upload_id = s.earlier_id
    ),
    stored AS (
        -- the projects stored in a covered portfolio at that upload's month (their version then)
        SELECT n.upload_id, n.as_of, p.project_id, n.portfolio
        FROM covered AS n
        JOIN projects AS p ON p.portfolio = n.portfolio
        JOIN entity_validity AS v
          ON v.kind = 'projects' AND v.upload_id = p.upload_id AND v.entity_key = p.project_id
         AND v.valid_from <= n.as_of AND (v.valid_to IS NULL OR v.valid_to > n.as_of)
    )
    SELECT project_id, as_of, upload_id, portfolio, true AS present FROM listed
    UNION ALL
    SELECT s.project_id, s.as_of, s.upload_id, s.portfolio, false AS present
    FROM stored AS s
    ANTI JOIN listed AS l ON l.upload_id = s.upload_id AND l.project_id = s.project_id;

-- The spans in which a project is out (the rows of project_absences): per project and month, the
-- last event of the month decides (a later upload of the same month overrides an earlier one);
-- a span starts at a month whose decision is "out" after one that was "in", and ends at the next
-- month decided "in" (NULL: still out).
CREATE OR REPLACE MACRO membership_absences() AS TABLE
    WITH monthly AS (
        SELECT project_id, as_of,
               arg_max(present, upload_id) AS present,
               arg_max(portfolio, upload_id) AS portfolio,
               max(upload_id) AS upload_id
        FROM membership_events()
        GROUP BY project_id, as_of
    ),
    marked AS (
        SELECT *,
               lag(present) OVER (PARTITION BY project_id ORDER BY as_of) AS was_present,
               min(CASE WHEN present THEN as_of END)
                   OVER (PARTITION BY project_id ORDER BY as_of
                         ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS back_from
        FROM monthly
    )
    SELECT project_id, portfolio, as_of AS left_from, upload_id AS left_upload_id, back_from
    FROM marked
    WHERE NOT present AND coalesce(was_present, true)
    ORDER BY project_id, left_from;

-- SPEC §7.1 `membership` for month m: one row per project stored at or before m. first_month is
-- the first month an upload listed it; left_month the start of the span it is out in at m (empty
-- while in). status: `left` (it left in m), `gone` (left before m), `joined` (first listed in
-- m, or listed again in m after leaving), else `continuing`.
CREATE OR REPLACE MACRO membership_rows(m, pf, pg) AS TABLE
    WITH known AS (SELECT * FROM effective_projects_all(m)),
    firsts AS (
        SELECT l.project_id, min(u.as_of) AS first_month
        FROM upload_projects AS l JOIN uploads AS u USING (upload_id)
        WHERE u.status = 'loaded' AND u.as_of <= m
        GROUP BY l.project_id
    ),
    away AS (
        SELECT project_id, max(left_from) AS left_month FROM project_absences
        WHERE left_from <= m AND (back_from IS NULL OR back_from > m)
        GROUP BY project_id
    ),
    returned AS (
        SELECT DISTINCT project_id FROM project_absences WHERE back_from = m
    )
    SELECT k.project_id, k.portfolio, f.first_month, a.left_month,
           CASE WHEN a.left_month = m THEN 'left'
                WHEN a.left_month IS NOT NULL THEN 'gone'
                WHEN f.first_month = m OR r.project_id IS NOT NULL THEN 'joined'
                ELSE 'continuing' END AS status,
           k.project_name, k.programme
    FROM known AS k
    LEFT JOIN firsts AS f USING (project_id)
    LEFT JOIN away AS a USING (project_id)
    LEFT JOIN returned AS r USING (project_id)
    WHERE (pf IS NULL OR k.portfolio = pf)
      AND (pg IS NULL OR k.programme = pg);

-- SPEC §7.2 for month m: per portfolio in scope and overall (portfolio empty), the projects in
-- their portfolio at m (joined or continuing), how many of them an upload for m itself lists
-- (reported), and whether m is closed. A month is complete when every project in scope has
-- reported or the month is closed.
CREATE OR REPLACE MACRO completeness_rows(m, pf, pg) AS TABLE
    WITH members AS (
        SELECT project_id, portfolio FROM effective_projects(m)
        WHERE (pf IS NULL OR portfolio = pf) AND (pg IS NULL OR programme = pg)
    ),
    reported AS (
        SELECT DISTINCT l.project_id
        FROM upload_projects AS l JOIN uploads AS u USING (upload_id)
        WHERE u.status = 'loaded' AND u.as_of = m
    ),
    closed AS (SELECT count(*) > 0 AS closed FROM month_closures WHERE month = m),
    counted AS (
        SELECT CASE WHEN grouping(mb.portfolio) = 1 THEN NULL ELSE mb.portfolio END AS portfolio,
               grouping(mb.portfolio) = 1 AS overall,
               count(*) AS projects,
               count(r.project_id) AS reported
        FROM members AS mb
        LEFT JOIN reported AS r USING (project_id)
        GROUP BY GROUPING SETS ((mb.portfolio), ())
    )
    SELECT c.portfolio, c.projects, c.reported, c.projects - c.reported AS missing,
           ratio(c.reported, c.projects) AS completeness,
           x.closed,
           x.closed OR c.reported = c.projects AS complete,
           c.overall
    FROM counted AS c, closed AS x;
