// How two actors are connected: every shortest path between them (relationships followed
// in either direction), up to max_hops relationships.
// @param a id  the first actor id
// @param b id  the second actor id
// @param max_hops int = 4  the longest path to report (1 to 6)
MATCH (x:Entity {id: $a})
// Two MATCH clauses, not one with a comma: Neo4j's linter warns of a cartesian product
// between disconnected patterns in one MATCH (here one row each, but CI keeps it at 0).
MATCH (y:Entity {id: $b})
WITH x, y
MATCH p = allShortestPaths((x)-[*..6]-(y))
WHERE length(p) <= $max_hops
RETURN length(p) AS hops, [n IN nodes(p) | n.id] AS ids, [n IN nodes(p) | n.name] AS names,
       [r IN relationships(p) | type(r)] AS types
ORDER BY hops
