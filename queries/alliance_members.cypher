// Direct and indirect members of a network or alliance, with the path of memberships
// (a city in ANVITA is in Alliance Migrations through ANVITA).  depth 1 = direct member.
// @param network id  the network id, e.g. net:alliance-migrations
// @param max_depth int = 3  longest membership chain to follow (1 to 5)
MATCH p = (m)-[:MEMBER_OF*1..5]->(n:Network {id: $network})
WHERE length(p) <= $max_depth AND NOT m:Party
WITH m, min(length(p)) AS depth, collect([x IN nodes(p) | x.id]) AS paths
RETURN m.id AS id, m.name AS name, depth, head(paths) AS path
ORDER BY depth, id
