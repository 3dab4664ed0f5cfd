// Memberships of a network that ended within N months after a change of mayor (the seed
// paper: cities that left ANVITA after the 2020 elections).  A change of mayor is a
// MAYOR_OF term whose holder is not the holder of the city's previous term (derived once
// for every output: a re-elected mayor is not a change).  An end known only to the month
// or year counts if its period reaches the change: "left in 2020" after a June 2020
// change is listed, and `order` says whether the exit certainly came after the change
// (`certain`) or the dates' precision cannot tell (`uncertain`).
// @param network id  the network id, e.g. net:anvita
// @param months int = 12  the window after the change, in months
// @order change_date left_on
MATCH (m:City)-[r:MEMBER_OF]->(n:Network {id: $network})
WHERE r.`end` IS NOT NULL
MATCH (newp:Person)-[t:MAYOR_OF]->(m)
WHERE t.mayor_changed = true
WITH m, r, newp, t.start AS change_date, t.predecessor AS prev_id
WITH m, r, newp, prev_id, change_date,
     toInteger(substring(change_date, 0, 4)) AS y, toInteger(substring(change_date, 5, 2)) - 1 + $months AS mm
WITH m, r, newp, prev_id, change_date,
     toString(y + toInteger(mm / 12)) + '-' + CASE WHEN mm % 12 < 9 THEN '0' ELSE '' END + toString(mm % 12 + 1) + substring(change_date, 7, 3) AS window_end,
     CASE r.end_precision WHEN 'year' THEN substring(r.`end`, 0, 4) + '-12-31'
                          WHEN 'month' THEN substring(r.`end`, 0, 7) + '-31'
                          ELSE r.`end` END AS end_latest
WHERE end_latest >= change_date AND r.`end` <= window_end
MATCH (prevp:Person {id: prev_id})
RETURN DISTINCT m.id AS id, m.name AS city, prevp.name AS old_mayor, newp.name AS new_mayor,
       change_date, r.start AS member_since, r.start_precision AS member_since_precision,
       r.`end` AS left_on, r.end_precision AS left_on_precision, r.sources AS sources
ORDER BY change_date, city
