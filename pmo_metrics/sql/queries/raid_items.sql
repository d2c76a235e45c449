-- SPEC §10.3 drill-down: one project's RAID items as of $as_of, issues and overdue items first.
-- overdue = open and due before the reporting month's first day (as `raid`'s overdue_items); with
-- $benefit_id, only the items naming that benefit. The flags' counts are the last two columns.
WITH items AS (
    SELECT raid_id, type, title, owner, coalesce(status, 'open') AS status, benefit_ids, probability, impact,
           due_date, coalesce(coalesce(status, 'open') = 'open' AND due_date < $as_of, false) AS overdue,
           commentary
    FROM effective_raid($as_of)
    WHERE project_id = $project_id
      AND ($benefit_id IS NULL OR list_contains(list_transform(string_split_regex(coalesce(benefit_ids, ''), '[;,]'),
                                                               lambda x: trim(x)), $benefit_id))
)
SELECT *, count(*) FILTER (WHERE overdue) OVER () AS overdue_items,
       count(*) FILTER (WHERE type = 'issue' AND status = 'open') OVER () AS open_issues
FROM items
ORDER BY overdue DESC, type = 'issue' AND coalesce(status, 'open') = 'open' DESC, due_date NULLS LAST, raid_id;
