// Gould–Fernandez brokerage roles per actor, the raw counts of R's sna::brokerage: for
// every ordered two-path i→j→k with i ≠ k and no arc i→k, broker j is a coordinator (all
// three in one group), itinerant (i and k share a group, j does not), representative
// (j shares i's group, not k's), gatekeeper (j shares k's group, not i's) or liaison (all
// differ).  Several relationships between the same two nodes make one arc.  Nodes without
// the group property form the group "null".  Relationship types: $types, or all when empty;
// with $date, only relationships that hold on that date by the one "as of" rule
// (civicgraph.graph.dates.holds_on): start on or before it, no end or an end after it; a
// relationship without a start holds only if its type has no dates in the schema (the
// list below; tests/test_dates.py keeps it equal to the schema's).  Groups are stored node
// properties (kind, departement, size_class…): a city's party depends on the date, so
// `civicgraph brokerage --group party` is the way to group by the mayor's party.
// @param group string  the node property that defines groups, e.g. kind, departement, size_class
// @param types list = []  relationship types to use (empty: all)
// @param date date = null  only relationships valid on this date
MATCH (i)-[r1]->(j)-[r2]->(k)
WHERE i <> j AND j <> k AND i <> k
  AND (size($types) = 0 OR (type(r1) IN $types AND type(r2) IN $types))
  AND ($date IS NULL OR ((r1.start <= $date OR (r1.start IS NULL AND type(r1) IN ['ABOUT', 'CITES', 'ORGANISED', 'PARTICIPATED_IN', 'PART_OF', 'SIGNED'])) AND (r1.`end` IS NULL OR r1.`end` > $date)
                     AND (r2.start <= $date OR (r2.start IS NULL AND type(r2) IN ['ABOUT', 'CITES', 'ORGANISED', 'PARTICIPATED_IN', 'PART_OF', 'SIGNED'])) AND (r2.`end` IS NULL OR r2.`end` > $date)))
WITH DISTINCT i, j, k
OPTIONAL MATCH (i)-[r3]->(k)
WHERE (size($types) = 0 OR type(r3) IN $types)
  AND ($date IS NULL OR ((r3.start <= $date OR (r3.start IS NULL AND type(r3) IN ['ABOUT', 'CITES', 'ORGANISED', 'PARTICIPATED_IN', 'PART_OF', 'SIGNED'])) AND (r3.`end` IS NULL OR r3.`end` > $date)))
WITH i, j, k, count(r3) AS closed
WHERE closed = 0
WITH j, coalesce(toString(properties(i)[$group]), 'null') AS gi,
     coalesce(toString(properties(j)[$group]), 'null') AS gj,
     coalesce(toString(properties(k)[$group]), 'null') AS gk
WITH j,
     toInteger(sum(CASE WHEN gi = gj AND gj = gk THEN 1 ELSE 0 END)) AS coordinator,
     toInteger(sum(CASE WHEN gi = gk AND gi <> gj THEN 1 ELSE 0 END)) AS itinerant,
     toInteger(sum(CASE WHEN gi = gj AND gj <> gk THEN 1 ELSE 0 END)) AS representative,
     toInteger(sum(CASE WHEN gj = gk AND gi <> gj THEN 1 ELSE 0 END)) AS gatekeeper,
     toInteger(sum(CASE WHEN gi <> gj AND gj <> gk AND gi <> gk THEN 1 ELSE 0 END)) AS liaison
RETURN j.id AS id, j.name AS name, coordinator, itinerant, representative, gatekeeper, liaison,
       coordinator + itinerant + representative + gatekeeper + liaison AS total
ORDER BY total DESC, id
