// Cities whose mayor changed between two dates: the mayor on $from and on $to (the most
// recently started term open on each date), and whether the nuance/party changed
// (null when either is unknown).
// @param from date  the earlier date, YYYY-MM-DD
// @param to date  the later date, YYYY-MM-DD
MATCH (:Person)-[t:MAYOR_OF]->(c:City)
WHERE t.start <= $to
WITH DISTINCT c
OPTIONAL MATCH (:Person)-[a:MAYOR_OF]->(c) WHERE a.start <= $from AND (a.`end` IS NULL OR a.`end` > $from)
WITH c, max(a.start) AS sa
OPTIONAL MATCH (:Person)-[b:MAYOR_OF]->(c) WHERE b.start <= $to AND (b.`end` IS NULL OR b.`end` > $to)
WITH c, sa, max(b.start) AS sb
WHERE sa IS NOT NULL AND sb IS NOT NULL
MATCH (pa:Person)-[a2:MAYOR_OF]->(c) WHERE a2.start = sa
MATCH (pb:Person)-[b2:MAYOR_OF]->(c) WHERE b2.start = sb
WITH c, pa, pb, head(collect(a2.nuance)) AS old_nuance, head(collect(b2.nuance)) AS new_nuance,
     head(collect(a2.party)) AS old_tp, head(collect(b2.party)) AS new_tp, sb
WHERE pa <> pb
OPTIONAL MATCH (otp:Party {id: old_tp})
OPTIONAL MATCH (ntp:Party {id: new_tp})
OPTIONAL MATCH (:Nuance {code: old_nuance})-[:MAPS_TO]->(op:Party)
OPTIONAL MATCH (:Nuance {code: new_nuance})-[:MAPS_TO]->(nwp:Party)
OPTIONAL MATCH (pa)-[:MEMBER_OF]->(opp:Party)
OPTIONAL MATCH (pb)-[:MEMBER_OF]->(npp:Party)
WITH c, pa, pb, old_nuance, new_nuance, sb,
     coalesce(head(collect(DISTINCT otp.short)), head(collect(DISTINCT op.short)), head(collect(DISTINCT opp.short))) AS old_party,
     coalesce(head(collect(DISTINCT ntp.short)), head(collect(DISTINCT nwp.short)), head(collect(DISTINCT npp.short))) AS new_party
RETURN c.id AS id, c.name AS city, pa.name AS old_mayor, old_nuance, old_party,
       pb.name AS new_mayor, new_nuance, new_party, sb AS new_since,
       CASE WHEN old_party IS NULL OR new_party IS NULL THEN null ELSE old_party <> new_party END AS party_changed
ORDER BY city
