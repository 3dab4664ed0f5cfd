// A network's members and their mayors over time, with its partners and alliances.
// The rows of the network's page (its first line is the page's title and caption): each
// member and its membership, the mayors of member cities (every term, so the page's date
// slider can show who governed when), the network's own ties to organisations and
// networks, the members of the alliances it belongs to, and the party memberships of the
// people shown.  Rows are relationships with their two ends (a, r, b).
// @param network id  the network id, e.g. net:anvita
MATCH (a)-[r:MEMBER_OF]->(b:Network {id: $network})
RETURN a, r, b
UNION ALL
MATCH (c:City)-[:MEMBER_OF]->(:Network {id: $network})
MATCH (a:Person)-[r:MAYOR_OF]->(c)
RETURN DISTINCT a, r, c AS b
UNION ALL
MATCH (a:Network {id: $network})-[r]-(b)
WHERE b:Organization OR b:Network
RETURN a, r, b
UNION ALL
MATCH (:Network {id: $network})-[:MEMBER_OF]->(b:Network)
MATCH (a)-[r:MEMBER_OF]->(b)
RETURN a, r, b
UNION ALL
MATCH (m)-[:MEMBER_OF]->(:Network {id: $network})
MATCH (a:Person)-[r:MEMBER_OF]->(b:Party)
WHERE a = m OR (a)-[:MAYOR_OF]->(m)
RETURN DISTINCT a, r, b
