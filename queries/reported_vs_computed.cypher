// Each figure a source reports about a network (a Statistic), beside the same figure
// computed from the loaded memberships on the statistic's date.
// computed: founding_members → members with a founding membership (any source);
// members → members on that date; members_local_authorities → cities, départements and
// régions; members_individual_elected → persons; members_by_party / members_by_size_class →
// members whose mayor's party / size group matches the statistic's qualifier.
// computed_same_source counts only memberships citing one of the statistic's own sources.
// @param network string  the network id, e.g. net:anvita
MATCH (s:Statistic)-[:ABOUT]->(n:Network {id: $network})
OPTIONAL MATCH (m)-[r:MEMBER_OF]->(n)
WHERE (s.metric = 'founding_members' AND r.role = 'founding')
   OR (s.metric <> 'founding_members' AND s.date IS NOT NULL AND r.start <= s.date
       AND (r.`end` IS NULL OR r.`end` > s.date))
WITH s, m, r,
     CASE WHEN m:City THEN 'local_authority' WHEN m:Departement THEN 'local_authority'
          WHEN m:Region THEN 'local_authority' WHEN m:Person THEN 'individual' ELSE 'other' END AS mkind,
     CASE WHEN m.population IS NULL THEN null
          WHEN m.population < 5000 THEN '<5000'
          WHEN m.population < 100000 THEN '5000-99999'
          WHEN m.population < 500000 THEN '100000-499999'
          ELSE '>=500000' END AS size_class
OPTIONAL MATCH (:Person)-[t:MAYOR_OF]->(m)
WHERE t.start <= coalesce(s.date, '9999-12-31') AND (t.`end` IS NULL OR t.`end` > coalesce(s.date, '9999-12-31'))
WITH s, m, r, mkind, size_class, max(t.start) AS term_start
OPTIONAL MATCH (p:Person)-[t2:MAYOR_OF]->(m) WHERE t2.start = term_start
WITH s, m, r, mkind, size_class, p, t2.nuance AS nuance_code, t2.party AS party_id
OPTIONAL MATCH (tp:Party) WHERE tp.id = party_id
OPTIONAL MATCH (:Nuance {code: nuance_code})-[:MAPS_TO]->(np:Party)
OPTIONAL MATCH (p)-[:MEMBER_OF]->(pp:Party)
WITH s, m, r, mkind, size_class, head(collect(DISTINCT coalesce(tp.id, np.id, pp.id))) AS party
WITH s, m, r,
     CASE s.metric
       WHEN 'founding_members' THEN true
       WHEN 'members' THEN true
       WHEN 'members_local_authorities' THEN mkind = 'local_authority'
       WHEN 'members_individual_elected' THEN mkind = 'individual'
       WHEN 'members_by_party' THEN party = s.party
       WHEN 'members_by_size_class' THEN size_class = s.size_class AND mkind = 'local_authority'
       ELSE false END AS counted
WITH s,
     collect(DISTINCT CASE WHEN counted THEN m.id END) AS ids,
     collect(DISTINCT CASE WHEN counted AND size([x IN r.sources WHERE x IN s.sources]) > 0 THEN m.id END) AS same
RETURN s.id AS statistic, s.metric AS metric, coalesce(s.party, s.size_class) AS qualifier,
       s.date AS date, s.value AS reported, size(ids) AS computed,
       size(same) AS computed_same_source, s.sources AS sources, s.claim AS claim
ORDER BY metric, date, statistic
