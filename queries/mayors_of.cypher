// Mayors of a city over time, with nuance, the party it maps to, and sources.
// One row per term and claim: the same term from two registers with two start dates gives
// two rows, each with its own source.
// @param city string  the city id, e.g. insee:38185
MATCH (p:Person)-[t:MAYOR_OF]->(c:City {id: $city})
OPTIONAL MATCH (tp:Party) WHERE tp.id = t.party
OPTIONAL MATCH (:Nuance {code: t.nuance})-[:MAPS_TO]->(np:Party)
OPTIONAL MATCH (p)-[pm:MEMBER_OF]->(pp:Party)
WITH c, p, t, coalesce(tp.short, np.short) AS term_party, collect(DISTINCT pp.short) AS own
RETURN c.name AS city, p.id AS person, p.name AS name, t.start AS start, t.`end` AS `end`,
       t.nuance AS nuance, coalesce(term_party, head(own)) AS party, t.sources AS sources
ORDER BY start, name
