// Members of a network on a date, with kind, size class, mayor and the mayor's party.
// A membership counts on $date when its start is on or before $date and it has no end or
// ends after $date; a membership without a start counts on no date (the one "as of" rule,
// civicgraph.graph.dates.holds_on).  Several claims about one member (two sources giving two
// start dates) give one row: the earliest start, every role and every source.
// The mayor on $date holds a MAYOR_OF term with start <= $date < held_until, and party /
// party_basis are that term's attribution, derived once for every output
// (civicgraph.graph.derive): stated by a source, else the register nuance, else a party
// membership, else carried from the same mayor's previous term; otherwise "unknown".  A
// person who is a member has the party of their own term as mayor on $date, if any.
// size_class is the city's stored size group (< 5,000; < 100,000; < 500,000; more).
// @param network id  the network id, e.g. net:anvita
// @param date date  the "as of" date, YYYY-MM-DD
MATCH (m)-[r:MEMBER_OF]->(n:Network {id: $network})
WHERE r.start <= $date AND (r.`end` IS NULL OR r.`end` > $date)
WITH m, min(r.start) AS since, collect(DISTINCT r.role) AS roles, collect(r.sources) AS srcs,
     collect([r.start, coalesce(r.start_precision, 'day')]) AS starts
WITH m, since, roles, srcs, [s IN starts WHERE s[0] = since | s[1]] AS precisions
OPTIONAL MATCH (p:Person)-[t:MAYOR_OF]->(m)
WHERE t.start <= $date AND (t.held_until IS NULL OR t.held_until > $date)
// (term values are projected first: FalkorDB cannot read an optional relationship's
// properties inside a later clause that matches again)
WITH m, since, roles, srcs, precisions, p, t.nuance AS nuance, t.party_short AS party,
     t.party_basis AS party_basis
ORDER BY p.id
WITH m, since, roles, srcs, precisions, collect(p.name) AS mayors, collect(nuance) AS nuances,
     collect(coalesce(party, 'unknown')) AS parties, collect(party_basis) AS bases
// A person who is a member holds a party through their own term as mayor on $date.
OPTIONAL MATCH (m)-[o:MAYOR_OF]->(:City)
WHERE o.start <= $date AND (o.held_until IS NULL OR o.held_until > $date)
WITH m, since, roles, srcs, precisions, mayors, nuances, parties, bases,
     o.party_short AS own_party, o.party_basis AS own_basis, o IS NOT NULL AS is_mayor
ORDER BY own_party
WITH m, since, roles, srcs, precisions, mayors, nuances, parties, bases,
     collect(CASE WHEN is_mayor THEN coalesce(own_party, 'unknown') END) AS own_parties,
     collect(own_basis) AS own_bases
RETURN m.id AS id,
       m.name AS name,
       CASE WHEN m:City THEN coalesce(m.kind, 'city') WHEN m:Organization THEN coalesce(m.kind, 'organization')
            WHEN m:Person THEN 'individual' WHEN m:Region THEN 'region'
            WHEN m:Departement THEN 'departement' WHEN m:Network THEN 'network' ELSE 'other' END AS kind,
       m.population AS population,
       m.size_class AS size_class,
       since,
       CASE WHEN 'year' IN precisions THEN 'year' WHEN 'month' IN precisions THEN 'month' END AS since_precision,
       roles,
       head(mayors) AS mayor,
       head(nuances) AS nuance,
       CASE WHEN m:City THEN coalesce(head(parties), 'unknown') ELSE head(own_parties) END AS party,
       CASE WHEN m:City THEN head(bases) ELSE head(own_bases) END AS party_basis,
       reduce(acc = [], s IN srcs | acc + [x IN s WHERE NOT x IN acc]) AS sources
ORDER BY since, id
