// Lint Cypher statements with Neo4j's own front-end (@neo4j-cypher/language-support: the
// parser and semantic analysis Neo4j's editors use), as Neo4j 5 would read them.
//
// Input (stdin, JSON):  {"schema": {"labels": [...], "relationshipTypes": [...],
//                         "propertyKeys": [...]},
//                        "statements": [{"name": "...", "text": "...", "parameters": {...}}]}
// Output (stdout, JSON): [{"name": "...", "errors": [d...], "warnings": [d...]}] where d is
//                        {"message", "line", "column"} (1-based).
// Run by tools/cypher_lint.py; `npm ci` in this folder installs the pinned package.
import { readFileSync } from "node:fs";
import { lintCypherQuery, testData } from "@neo4j-cypher/language-support";

const input = JSON.parse(readFileSync(0, "utf8"));
const version = "CYPHER 5";

// Neo4j 5's built-in functions and procedures, as the package's own schema of a real server
// lists them, without plugins (APOC, GDS): a stored query must not need a plugin, nor a
// function only the embedded engine has.
const builtin = (registry) =>
  Object.fromEntries(
    Object.entries(registry?.[version] ?? {}).filter(
      ([name]) => !name.startsWith("apoc.") && !name.startsWith("gds."),
    ),
  );
const functions = { [version]: builtin(testData.mockSchema.functions) };
const procedures = { [version]: builtin(testData.mockSchema.procedures) };

const SEVERITY = { 1: "errors", 2: "warnings" };
const out = input.statements.map(({ name, text, parameters }) => {
  const schema = {
    ...input.schema,
    functions,
    procedures,
    parameters: parameters ?? {},
    defaultLanguage: version,
  };
  const result = { name, errors: [], warnings: [] };
  for (const d of lintCypherQuery(text, schema).diagnostics) {
    const bucket = SEVERITY[d.severity] ?? "warnings";
    result[bucket].push({
      message: d.message,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
    });
  }
  return result;
});
process.stdout.write(JSON.stringify(out));
