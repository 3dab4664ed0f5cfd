// Memberships of a network that ended within N months after a change of mayor.
// A change of mayor is a MAYOR_OF term whose holder differs from the holder of the
// latest earlier term in the same city.  An end known only to the month or year counts
// from the last day of that period, so "left in 2020" after a June 2020 change matches.
// @param network string  the network id, e.g. net:anvita
// @param months int = 12  the window after the change, in months
MATCH (m:City)-[r:MEMBER_OF]->(n:Network {id: $network})
WHERE r.`end` IS NOT NULL
MATCH (newp:Person)-[t:MAYOR_OF]->(m)
MATCH (oldp:Person)-[t0:MAYOR_OF]->(m)
WHERE t0.start < t.start AND oldp <> newp
WITH m, r, n, t, newp, max(t0.start) AS prev_start
MATCH (prevp:Person)-[tp:MAYOR_OF]->(m) WHERE tp.start = prev_start AND prevp <> newp
WITH DISTINCT m, r, n, t, newp, prevp,
     toInteger(substring(t.start, 0, 4)) AS y, toInteger(substring(t.start, 5, 2)) - 1 + $months AS mm
WITH m, r, n, t, newp, prevp,
     toString(y + toInteger(mm / 12)) + '-' + CASE WHEN mm % 12 < 9 THEN '0' ELSE '' END + toString(mm % 12 + 1) + substring(t.start, 7, 3) AS window_end,
     CASE r.end_precision WHEN 'year' THEN substring(r.`end`, 0, 4) + '-12-31'
                          WHEN 'month' THEN substring(r.`end`, 0, 7) + '-31'
                          ELSE r.`end` END AS end_latest
WHERE end_latest >= t.start AND r.`end` <= window_end
RETURN DISTINCT m.id AS id, m.name AS city, prevp.name AS old_mayor, newp.name AS new_mayor,
       t.start AS change_date, r.start AS member_since, r.`end` AS left_on,
       r.end_precision AS left_precision, r.sources AS sources
ORDER BY change_date, city
