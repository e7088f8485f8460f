-- Several servers on one database: one compiles at a time (session advisory lock) and stores the
-- signed bundles here; the others serve them.
-- term: raised by each server that takes the compile lock; a store by an older term is refused.
-- generation: raised by each store; cluster_bundles rows carry the generation that last wrote them.
CREATE TABLE cluster_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  term BIGINT NOT NULL,
  generation BIGINT NOT NULL
);
INSERT INTO cluster_state (id, term, generation) VALUES (1, 0, 0);

-- Each node's highest version given out, written before any server serves it (as versions.json is
-- for one server), so the next compiling server continues above it.
CREATE TABLE cluster_versions (
  node TEXT PRIMARY KEY,
  version BIGINT NOT NULL,
  hash TEXT NOT NULL
);

-- What is served: one signed bundle per node; signed IS NULL once the node is no longer served.
CREATE TABLE cluster_bundles (
  node TEXT PRIMARY KEY,
  version BIGINT NOT NULL,
  hash TEXT NOT NULL,
  revision TEXT NOT NULL,
  signed BYTEA,
  expires_ms BIGINT NOT NULL,
  generation BIGINT NOT NULL
);
CREATE INDEX cluster_bundles_generation ON cluster_bundles (generation);
