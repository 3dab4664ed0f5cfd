// Memberships of a network that began within N months after a change of mayor (the seed
// paper: big cities that joined after new majorities in 2020).  Change of mayor as in
// `exits_after_leadership_change`; a start known only to the month or year counts if its
// period reaches the change: "joined in 2020" after a July 2020 change is listed, and
// `order` says whether the join certainly came after the change (`certain`) or the dates'
// precision cannot tell (`uncertain`).
// @param network id  the network id, e.g. net:anvita
// @param months int = 24  the window after the change, in months
// @order change_date joined
MATCH (m:City)-[r:MEMBER_OF]->(n:Network {id: $network})
WHERE r.start IS NOT NULL
MATCH (newp:Person)-[t:MAYOR_OF]->(m)
WHERE t.mayor_changed = true
WITH m, r, newp, t.start AS change_date, t.predecessor AS prev_id
WITH m, r, newp, prev_id, change_date,
     toInteger(substring(change_date, 0, 4)) AS y, toInteger(substring(change_date, 5, 2)) - 1 + $months AS mm
WITH m, r, newp, prev_id, change_date,
     toString(y + toInteger(mm / 12)) + '-' + CASE WHEN mm % 12 < 9 THEN '0' ELSE '' END + toString(mm % 12 + 1) + substring(change_date, 7, 3) AS window_end,
     CASE r.start_precision WHEN 'year' THEN substring(r.start, 0, 4) + '-12-31'
                            WHEN 'month' THEN substring(r.start, 0, 7) + '-31'
                            ELSE r.start END AS start_latest
WHERE start_latest >= change_date AND r.start <= window_end
MATCH (prevp:Person {id: prev_id})
RETURN DISTINCT m.id AS id, m.name AS city, prevp.name AS old_mayor, newp.name AS new_mayor,
       change_date, r.start AS joined, r.start_precision AS joined_precision,
       r.role AS role, r.sources AS sources
ORDER BY change_date, city
