// Cities whose mayor changed between two dates: the mayor on $from and the mayor on $to
// (each the holder of a MAYOR_OF term with start <= date < held_until, derived once for
// every output), when they are different persons — a re-elected mayor is not a change —
// with each term's nuance, party and party basis, and whether the party changed (empty
// when either party is unknown).
// @param from date  the earlier date, YYYY-MM-DD
// @param to date  the later date, YYYY-MM-DD
MATCH (pb:Person)-[b:MAYOR_OF]->(c:City)
WHERE b.start <= $to AND (b.held_until IS NULL OR b.held_until > $to)
WITH c, pb, b.start AS new_since, b.nuance AS new_nuance, b.party_short AS new_party,
     b.party_basis AS new_basis
MATCH (pa:Person)-[a:MAYOR_OF]->(c)
WHERE a.start <= $from AND (a.held_until IS NULL OR a.held_until > $from) AND pa <> pb
RETURN c.id AS id, c.name AS city, pa.id AS old_mayor_id, pa.name AS old_mayor,
       a.nuance AS old_nuance, coalesce(a.party_short, 'unknown') AS old_party,
       a.party_basis AS old_party_basis,
       pb.id AS new_mayor_id, pb.name AS new_mayor, new_nuance,
       coalesce(new_party, 'unknown') AS new_party, new_basis AS new_party_basis, new_since,
       CASE WHEN a.party_short IS NULL OR new_party IS NULL THEN null
            ELSE a.party_short <> new_party END AS party_changed
ORDER BY city, new_mayor_id
