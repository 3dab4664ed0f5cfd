// The founding members of a network, by source: one row per member and source that says
// it founded the network, so disagreeing sources stay visible side by side.
// @param network id  the network id, e.g. net:anvita
MATCH (m)-[r:MEMBER_OF {role: 'founding'}]->(n:Network {id: $network})
UNWIND r.sources AS sid
OPTIONAL MATCH (s:Source {id: sid})
RETURN sid AS source, coalesce(s.title, sid) AS source_title, m.id AS id, m.name AS name,
       r.start AS start, r.start_precision AS start_precision
ORDER BY source, name
