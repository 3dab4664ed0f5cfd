// Mayors of a city over time: each MAYOR_OF term with its dates, the day it stopped
// holding the office (held_until: its end, or the start of the city's next term), the
// register nuance, and the party attribution derived once for every output (party and
// party_basis: stated by a source, register nuance, party membership, or carried from the
// same mayor's previous term).  One row per term and claim: the same term from two
// registers with two start dates gives two rows, each with its own sources.
// @param city id  the city id, e.g. insee:38185
MATCH (p:Person)-[t:MAYOR_OF]->(c:City {id: $city})
RETURN c.name AS city, p.id AS person, p.name AS name, t.start AS start,
       t.start_precision AS start_precision, t.`end` AS `end`, t.end_precision AS end_precision,
       t.held_until AS held_until, t.nuance AS nuance,
       coalesce(t.party_short, 'unknown') AS party, t.party_basis AS party_basis,
       t.sources AS sources
ORDER BY start, name
