// Actors that share networks with an actor, with the shared networks and the periods in
// which both were members (overlap start = the later start, end = the earlier end).
// Undated memberships count as overlapping with unknown period.
// @param actor string  the actor id, e.g. insee:38185
MATCH (a:Entity {id: $actor})-[r1:MEMBER_OF]->(n:Network)<-[r2:MEMBER_OF]-(b)
WHERE a <> b
WITH b, n,
     CASE WHEN r1.start IS NULL OR r2.start IS NULL THEN null
          WHEN r1.start > r2.start THEN r1.start ELSE r2.start END AS from_date,
     CASE WHEN r1.`end` IS NULL THEN r2.`end` WHEN r2.`end` IS NULL THEN r1.`end`
          WHEN r1.`end` < r2.`end` THEN r1.`end` ELSE r2.`end` END AS to_date
WHERE from_date IS NULL OR to_date IS NULL OR from_date < to_date
WITH b, n, min(from_date) AS from_date, max(to_date) AS to_date
WITH b, collect(n.id) AS networks,
     collect(n.id + ' ' + coalesce(from_date, '?') + '..' + coalesce(to_date, '')) AS periods
RETURN b.id AS id, b.name AS name, size(networks) AS shared, networks, periods
ORDER BY shared DESC, id
