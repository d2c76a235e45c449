-- SPEC §10.3 drill-down: one project's RAID items as of $as_of, issues and overdue items first.
-- overdue = open and due before the reporting month's first day (as `raid`'s overdue_items).
SELECT raid_id, type, title, owner, coalesce(status, 'open') AS status, benefit_ids, probability, impact,
       due_date, coalesce(coalesce(status, 'open') = 'open' AND due_date < $as_of, false) AS overdue,
       commentary
FROM effective_raid($as_of)
WHERE project_id = $project_id
ORDER BY overdue DESC, type = 'issue' AND coalesce(status, 'open') = 'open' DESC, due_date NULLS LAST, raid_id;
