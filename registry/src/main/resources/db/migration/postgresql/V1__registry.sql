-- The registry: users, auth keys (secrets stored only as SHA-256), nodes, and the audit trail.
-- Times are milliseconds since the epoch; lists and maps are JSON text.
CREATE TABLE users (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_ms BIGINT NOT NULL
);

CREATE TABLE auth_keys (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key_id TEXT NOT NULL UNIQUE,
  secret_sha256 TEXT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users(id),
  tags TEXT NOT NULL,
  reusable BOOLEAN NOT NULL,
  ephemeral BOOLEAN NOT NULL,
  expires_ms BIGINT,
  pre_approved_routes BOOLEAN NOT NULL,
  created_ms BIGINT NOT NULL,
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_ms BIGINT
);

CREATE TABLE nodes (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  user_id BIGINT REFERENCES users(id),
  tags TEXT NOT NULL,
  public_key TEXT NOT NULL UNIQUE,
  ipv4 TEXT NOT NULL UNIQUE,
  ipv4_num BIGINT NOT NULL UNIQUE,
  ipv6 TEXT NOT NULL UNIQUE,
  endpoints TEXT NOT NULL,
  advertised_routes TEXT NOT NULL,
  approved_routes TEXT NOT NULL,
  posture TEXT NOT NULL,
  last_seen_ms BIGINT,
  key_expiry_ms BIGINT,
  ephemeral BOOLEAN NOT NULL,
  auth_key_id BIGINT REFERENCES auth_keys(id),
  created_ms BIGINT NOT NULL
);

CREATE TABLE audit (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL
);

-- One row: the registry's revision, raised by every write, so that servers notice changes.
CREATE TABLE registry_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision BIGINT NOT NULL
);
INSERT INTO registry_state (id, revision) VALUES (1, 0);
