// Joins, exits and member count per year for a network.
// A member joins in the year of its earliest dated membership and exits in the year its
// last membership ends (a member with any open membership has not exited).  `members` is
// the count on 31 December of that year; undated memberships are left out.
// @param network id  the network id, e.g. net:anvita
MATCH (m)-[r:MEMBER_OF]->(n:Network {id: $network})
WHERE r.start IS NOT NULL
WITH m, min(r.start) AS joined, collect(r.`end`) AS ends, count(r) AS claims
WITH m, joined, CASE WHEN size(ends) < claims THEN null ELSE reduce(e = '', x IN ends | CASE WHEN x > e THEN x ELSE e END) END AS left
WITH collect({joined: joined, left: left}) AS ms
WITH ms,
     toInteger(substring(reduce(lo = '9999', x IN ms | CASE WHEN x.joined < lo THEN x.joined ELSE lo END), 0, 4)) AS first_year,
     reduce(hi = '0000', x IN ms | CASE WHEN x.joined > hi THEN x.joined WHEN x.left IS NOT NULL AND x.left > hi THEN x.left ELSE hi END) AS last_date
UNWIND range(first_year, toInteger(substring(last_date, 0, 4))) AS year
WITH ms, year, toString(year) AS y, toString(year) + '-12-31' AS eoy
RETURN year,
       size([x IN ms WHERE substring(x.joined, 0, 4) = y]) AS joins,
       size([x IN ms WHERE x.left IS NOT NULL AND substring(x.left, 0, 4) = y]) AS exits,
       size([x IN ms WHERE x.joined <= eoy AND (x.left IS NULL OR x.left > eoy)]) AS members
ORDER BY year
