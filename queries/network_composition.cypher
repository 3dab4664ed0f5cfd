// Composition of a network's members on a date: by the mayor's party, by the seed paper's
// size groups (< 5,000; < 100,000; < 500,000; >= 500,000 inhabitants), or by actor kind.
// Membership and mayor rules as in `network_members`; members without the attribute are
// counted under "unknown".
// @param network string  the network id, e.g. net:anvita
// @param date date  the "as of" date, YYYY-MM-DD
// @param by string = party {party|size|kind} what to group members by
MATCH (m)-[r:MEMBER_OF]->(n:Network {id: $network})
WHERE r.start <= $date AND (r.`end` IS NULL OR r.`end` > $date)
WITH DISTINCT m
OPTIONAL MATCH (:Person)-[t:MAYOR_OF]->(m)
WHERE t.start <= $date AND (t.`end` IS NULL OR t.`end` > $date)
WITH m, max(t.start) AS term_start
OPTIONAL MATCH (p:Person)-[t2:MAYOR_OF]->(m) WHERE t2.start = term_start
WITH m, p, t2.nuance AS nuance_code, t2.party AS party_id
OPTIONAL MATCH (tp:Party) WHERE tp.id = party_id
OPTIONAL MATCH (:Nuance {code: nuance_code})-[:MAPS_TO]->(np:Party)
OPTIONAL MATCH (p)-[pm:MEMBER_OF]->(pp:Party)
WHERE pm.start IS NULL OR (pm.start <= $date AND (pm.`end` IS NULL OR pm.`end` > $date))
WITH m, head(collect(DISTINCT coalesce(tp.short, np.short, pp.short))) AS party
WITH m, party,
     CASE WHEN m:City THEN coalesce(m.kind, 'city') WHEN m:Organization THEN coalesce(m.kind, 'organization')
          WHEN m:Person THEN 'individual' WHEN m:Region THEN 'region'
          WHEN m:Departement THEN 'departement' WHEN m:Network THEN 'network' ELSE 'other' END AS kind,
     CASE WHEN m.population IS NULL THEN null
          WHEN m.population < 5000 THEN '<5000'
          WHEN m.population < 100000 THEN '5000-99999'
          WHEN m.population < 500000 THEN '100000-499999'
          ELSE '>=500000' END AS size_class
WITH CASE $by WHEN 'party' THEN party WHEN 'size' THEN size_class ELSE kind END AS value, m
RETURN $by AS by, coalesce(value, 'unknown') AS value, count(m) AS members,
       collect(m.name) AS names
ORDER BY members DESC, value
