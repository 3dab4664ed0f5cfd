// Each figure a source reports about a network (a Statistic), beside the same figure
// computed from the loaded memberships on the statistic's date.
// computed: founding_members → members with a founding membership (any source);
// members → members on that date; members_local_authorities → cities, départements and
// régions; members_individual_elected → persons; members_by_party / members_by_size_class →
// members whose mayor's party (the term's derived attribution, as in `network_members`) /
// stored size group matches the statistic's qualifier.
// computed_same_source counts only memberships citing one of the statistic's own sources.
// @param network id  the network id, e.g. net:anvita
MATCH (s:Statistic)-[:ABOUT]->(n:Network {id: $network})
OPTIONAL MATCH (m)-[r:MEMBER_OF]->(n)
WHERE (s.metric = 'founding_members' AND r.role = 'founding')
   OR (s.metric <> 'founding_members' AND s.date IS NOT NULL AND r.start <= s.date
       AND (r.`end` IS NULL OR r.`end` > s.date))
WITH s, m, r,
     CASE WHEN m:City THEN 'local_authority' WHEN m:Departement THEN 'local_authority'
          WHEN m:Region THEN 'local_authority' WHEN m:Person THEN 'individual' ELSE 'other' END AS mkind
OPTIONAL MATCH (:Person)-[t:MAYOR_OF]->(m)
WHERE t.start <= coalesce(s.date, '9999-12-31')
  AND (t.held_until IS NULL OR t.held_until > coalesce(s.date, '9999-12-31'))
WITH s, m, r, mkind, t.party AS party
ORDER BY party
WITH s, m, r, mkind, head(collect(party)) AS party
WITH s, m, r,
     CASE s.metric
       WHEN 'founding_members' THEN true
       WHEN 'members' THEN true
       WHEN 'members_local_authorities' THEN mkind = 'local_authority'
       WHEN 'members_individual_elected' THEN mkind = 'individual'
       WHEN 'members_by_party' THEN party = s.party
       WHEN 'members_by_size_class' THEN m.size_class = s.size_class AND mkind = 'local_authority'
       ELSE false END AS counted
WITH s,
     collect(DISTINCT CASE WHEN counted THEN m.id END) AS ids,
     collect(DISTINCT CASE WHEN counted AND size([x IN r.sources WHERE x IN s.sources]) > 0 THEN m.id END) AS same
RETURN s.id AS statistic, s.metric AS metric, coalesce(s.party, s.size_class) AS qualifier,
       s.date AS date, s.date_precision AS date_precision, s.value AS reported, size(ids) AS computed,
       size(same) AS computed_same_source, s.sources AS sources, s.claim AS claim
ORDER BY metric, date, statistic
