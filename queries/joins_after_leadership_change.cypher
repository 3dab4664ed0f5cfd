// Memberships of a network that began within N months after a change of mayor (the
// seed paper: big cities that joined after new majorities in 2020).  Change of mayor as in
// `exits_after_leadership_change`; a start known only to the month or year counts up to the
// last day of that period, so "joined in 2020" after a July 2020 change matches.
// @param network string  the network id, e.g. net:anvita
// @param months int = 24  the window after the change, in months
MATCH (m:City)-[r:MEMBER_OF]->(n:Network {id: $network})
WHERE r.start IS NOT NULL
MATCH (newp:Person)-[t:MAYOR_OF]->(m)
MATCH (oldp:Person)-[t0:MAYOR_OF]->(m)
WHERE t0.start < t.start AND oldp <> newp
WITH m, r, n, t, newp, max(t0.start) AS prev_start
MATCH (prevp:Person)-[tp:MAYOR_OF]->(m) WHERE tp.start = prev_start AND prevp <> newp
WITH DISTINCT m, r, n, t, newp, prevp,
     toInteger(substring(t.start, 0, 4)) AS y, toInteger(substring(t.start, 5, 2)) - 1 + $months AS mm
WITH m, r, n, t, newp, prevp,
     toString(y + toInteger(mm / 12)) + '-' + CASE WHEN mm % 12 < 9 THEN '0' ELSE '' END + toString(mm % 12 + 1) + substring(t.start, 7, 3) AS window_end
WITH m, r, n, t, newp, prevp, window_end,
     CASE r.start_precision WHEN 'year' THEN substring(r.start, 0, 4) + '-12-31'
                            WHEN 'month' THEN substring(r.start, 0, 7) + '-31'
                            ELSE r.start END AS start_latest
WHERE start_latest >= t.start AND r.start <= window_end
RETURN DISTINCT m.id AS id, m.name AS city, prevp.name AS old_mayor, newp.name AS new_mayor,
       t.start AS change_date, r.start AS joined, r.start_precision AS joined_precision,
       r.role AS role, r.sources AS sources
ORDER BY change_date, city
