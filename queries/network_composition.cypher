// Composition of a network's members on a date: by the mayor's party, by the seed paper's
// size groups (< 5,000; < 100,000; < 500,000; >= 500,000 inhabitants), or by actor kind.
// Membership, mayor and party rules as in `network_members` (the party is the mayor's term
// attribution, derived once for every output; its basis is listed per party).  Cities
// without a known party, and members without the attribute, are counted under "unknown";
// members that are not cities have no party and are counted under "not a city".
// @param network id  the network id, e.g. net:anvita
// @param date date  the "as of" date, YYYY-MM-DD
// @param by string = party {party|size|kind} what to group members by
MATCH (m)-[r:MEMBER_OF]->(n:Network {id: $network})
WHERE r.start <= $date AND (r.`end` IS NULL OR r.`end` > $date)
WITH DISTINCT m
OPTIONAL MATCH (p:Person)-[t:MAYOR_OF]->(m)
WHERE t.start <= $date AND (t.held_until IS NULL OR t.held_until > $date)
WITH m, p, t.party_short AS party, t.party_basis AS basis
ORDER BY p.id
WITH m, head(collect(party)) AS party, head(collect(basis)) AS basis
WITH m, basis,
     CASE WHEN NOT m:City THEN 'not a city' ELSE coalesce(party, 'unknown') END AS party,
     CASE WHEN m:City THEN coalesce(m.kind, 'city') WHEN m:Organization THEN coalesce(m.kind, 'organization')
          WHEN m:Person THEN 'individual' WHEN m:Region THEN 'region'
          WHEN m:Departement THEN 'departement' WHEN m:Network THEN 'network' ELSE 'other' END AS kind
WITH m, CASE $by WHEN 'party' THEN party WHEN 'size' THEN m.size_class ELSE kind END AS value,
     CASE $by WHEN 'party' THEN basis END AS basis
WITH coalesce(value, 'unknown') AS value, collect(m.name) AS names, count(m) AS members,
     collect(DISTINCT basis) AS bases
RETURN $by AS by, value, members, bases AS party_bases, names
ORDER BY members DESC, value
