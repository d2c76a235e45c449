-- SPEC §7.1 `membership`: one row per project stored at or before the reporting month, with the
-- month it first reported, the month it left (empty while in its portfolio) and its status
-- (membership_rows in membership.sql). Joiners and leavers first.
SELECT *
FROM membership_rows($as_of, $portfolio, $programme)
ORDER BY CASE status WHEN 'joined' THEN 1 WHEN 'left' THEN 2 WHEN 'continuing' THEN 3 ELSE 4 END,
         portfolio, project_id;
