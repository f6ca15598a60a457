"use strict";
// PostGraphile v4, the second peer of `make bench`'s search (bench/servers.py starts it): one
// Node process on loopback, over the bench's working copy of the database, with the options
// PostGraphile's documentation recommends for production. It serves the schemas that
// search.sql adds to and reads: the search is bench_postgraphile.search_mentors, the
// availability a computed column, a mentor's languages and fields its relations. Like Mentori,
// it verifies the student's token (Mentori's development tokens, HS256) and the search finds
// the student's programme from its `sub` claim.
//
// `node server.js PORT`, with BENCH_DATABASE_URL (postgres://… of the working copy) and
// BENCH_JWT_SECRET, BENCH_JWT_ISSUER, BENCH_JWT_AUDIENCE (Mentori's settings).
// GET /healthz answers 200 once the GraphQL schema is built; POST /graphql is PostGraphile.

const http = require("http");
const { postgraphile } = require("postgraphile");

const middleware = postgraphile(
  process.env.BENCH_DATABASE_URL,
  ["bench_postgraphile", "public"],
  {
    // As in production: no GraphiQL, no query log, no file watching, errors without stacks.
    graphiql: false,
    disableQueryLog: true,
    watchPg: false,
    retryOnInitFail: false,
    extendedErrors: ["errcode"],
    showErrorStack: false,
    ignoreRBAC: false,
    setofFunctionsContainNulls: false,
    dynamicJson: true,
    legacyRelations: "omit",
    // A read-only peer: the bench sends searches only.
    disableDefaultMutations: true,
    jwtSecret: process.env.BENCH_JWT_SECRET,
    jwtVerifyOptions: {
      algorithms: ["HS256"],
      issuer: process.env.BENCH_JWT_ISSUER,
      audience: process.env.BENCH_JWT_AUDIENCE,
    },
    // Mentori's tokens carry its own `role` claim (STUDENT), not a PostgreSQL role to take.
    jwtRole: ["pg_role"],
  },
);

async function main() {
  await middleware.getGraphQLSchema();
  const server = http.createServer((request, response) => {
    if (request.url === "/healthz") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"status":"ok"}');
      return;
    }
    middleware(request, response);
  });
  server.listen(Number(process.argv[2]), "127.0.0.1");
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
