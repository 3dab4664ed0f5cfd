// Members of a network on a date, with kind, size class, mayor and the mayor's nuance/party.
// A membership counts on $date when start <= $date and it has no end or end > $date;
// an undated membership counts on no date.  Several claims about one member (two sources
// giving two start dates) give one row: the earliest start, every role and every source.
// The mayor on $date is the holder of the most recently started MAYOR_OF term still open on
// that date: registers list terms without an end, and a newer term supersedes them.
// party: the party a source gives for the term, else the party the mayor's nuance maps to,
// else the mayor's own party membership.
// @param network string  the network id, e.g. net:anvita
// @param date date  the "as of" date, YYYY-MM-DD
MATCH (m)-[r:MEMBER_OF]->(n:Network {id: $network})
WHERE r.start <= $date AND (r.`end` IS NULL OR r.`end` > $date)
WITH m, min(r.start) AS since, collect(DISTINCT r.role) AS roles, collect(r.sources) AS srcs
OPTIONAL MATCH (:Person)-[t:MAYOR_OF]->(m)
WHERE t.start <= $date AND (t.`end` IS NULL OR t.`end` > $date)
WITH m, since, roles, srcs, max(t.start) AS term_start
OPTIONAL MATCH (p:Person)-[t2:MAYOR_OF]->(m) WHERE t2.start = term_start
// (term values are projected first: FalkorDB cannot read an optional relationship's
// properties inside a later OPTIONAL MATCH)
WITH m, since, roles, srcs, p, t2.nuance AS nuance_code, t2.party AS party_id
OPTIONAL MATCH (tp:Party) WHERE tp.id = party_id
OPTIONAL MATCH (:Nuance {code: nuance_code})-[:MAPS_TO]->(np:Party)
OPTIONAL MATCH (p)-[pm:MEMBER_OF]->(pp:Party)
WHERE pm.start IS NULL OR (pm.start <= $date AND (pm.`end` IS NULL OR pm.`end` > $date))
WITH m, since, roles, srcs, p, nuance_code, collect(DISTINCT coalesce(tp.short, np.short)) AS nparties,
     collect(DISTINCT pp.short) AS pparties
WITH m, since, roles, srcs,
     head(collect(DISTINCT p.name)) AS mayor,
     head(collect(DISTINCT nuance_code)) AS nuance,
     head(collect(DISTINCT coalesce(head(nparties), head(pparties)))) AS party
RETURN m.id AS id,
       m.name AS name,
       CASE WHEN m:City THEN coalesce(m.kind, 'city') WHEN m:Organization THEN coalesce(m.kind, 'organization')
            WHEN m:Person THEN 'individual' WHEN m:Region THEN 'region'
            WHEN m:Departement THEN 'departement' WHEN m:Network THEN 'network' ELSE 'other' END AS kind,
       m.population AS population,
       CASE WHEN m.population IS NULL THEN null
            WHEN m.population < 5000 THEN '<5000'
            WHEN m.population < 100000 THEN '5000-99999'
            WHEN m.population < 500000 THEN '100000-499999'
            ELSE '>=500000' END AS size_class,
       since,
       roles,
       mayor,
       nuance,
       party,
       reduce(acc = [], s IN srcs | acc + [x IN s WHERE NOT x IN acc]) AS sources
ORDER BY since, id
