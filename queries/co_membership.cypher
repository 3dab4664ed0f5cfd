// Actors that share networks with an actor: one row per other actor and shared network,
// with the period in which both were members (from = the later start, to = the earlier
// end; empty to = still both members), and the number of networks they share.  When
// sources give several memberships for one pair, the period runs from the earliest
// overlap to the latest; a membership without a start gives an empty from (unknown).
// @param actor id  the actor id, e.g. insee:38185
MATCH (a:Entity {id: $actor})-[r1:MEMBER_OF]->(n:Network)<-[r2:MEMBER_OF]-(b)
WHERE a <> b
WITH b, n,
     CASE WHEN r1.start IS NULL OR r2.start IS NULL THEN null
          WHEN r1.start > r2.start THEN r1 ELSE r2 END AS later,
     CASE WHEN r1.`end` IS NULL THEN r2 WHEN r2.`end` IS NULL THEN r1
          WHEN r1.`end` < r2.`end` THEN r1 ELSE r2 END AS earlier
WITH b, n, later.start AS f, later.start_precision AS fp, earlier.`end` AS t,
     earlier.end_precision AS tp
WHERE f IS NULL OR t IS NULL OR f < t
WITH b, n, f, fp, t, tp
ORDER BY f
WITH b, n, collect([f, fp]) AS froms, collect([t, tp]) AS tos, count(*) AS claims
WITH b, n, head(froms) AS first, [x IN tos WHERE x[0] IS NOT NULL] AS closed, claims
WITH b, n, first, CASE WHEN size(closed) < claims THEN null
                       ELSE reduce(m = closed[0], x IN closed | CASE WHEN x[0] > m[0] THEN x ELSE m END) END AS last
ORDER BY n.id
WITH b, collect({n: n.id, first: first, last: last}) AS shared
UNWIND shared AS s
RETURN b.id AS id, b.name AS name, size(shared) AS shared, s.n AS network,
       s.first[0] AS from_date, s.first[1] AS from_date_precision,
       s.last[0] AS to_date, s.last[1] AS to_date_precision
ORDER BY shared DESC, id, network
