-- SPEC §7.2 reporting completeness of the month: the scope overall (portfolio empty) first, then
-- each portfolio in it (completeness_rows in membership.sql).
SELECT portfolio, projects, reported, missing, completeness, closed, complete
FROM completeness_rows($as_of, $portfolio, $programme)
ORDER BY overall DESC, portfolio;
