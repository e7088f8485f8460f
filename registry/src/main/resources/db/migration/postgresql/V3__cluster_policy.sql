-- The policy the compiling server compiled, written with the bundles compiled from it (in the same
-- transaction, fenced by the same term check): every server of the database decides enrollments and
-- route approvals with this policy, whatever its own --policy file says.
-- name: as the compiling server read it (the syntax follows from it); sha256: of text (UTF-8), hex;
-- term: of the server that stored it; generation: of the store that wrote it (see cluster_state).
CREATE TABLE cluster_policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL,
  text TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  term BIGINT NOT NULL,
  generation BIGINT NOT NULL
);
