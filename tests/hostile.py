"""Cypher-looking fragments shared by the injection and fuzz suites: as values they are
data; as labels, types or keys they are refused."""

#: The fragments issue 8 names, alone and in the shapes that would close a pattern.
PAYLOADS = [
    "`",
    "}",
    "//",
    ";",
    "DETACH DELETE",
    "MATCH (n) DETACH DELETE n",
    "x'}) MATCH (n) DETACH DELETE n //",
    'x"}) MATCH (n) DETACH DELETE n //',
    "x`) DETACH DELETE n //",
    "x]->() DETACH DELETE a //",
    "x}) WITH 1 AS one MATCH (m) DETACH DELETE m; //",
    '\\"}) DETACH DELETE n //',
]
