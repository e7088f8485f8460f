/**
 * The control plane's registry: users, nodes, auth keys, address assignment and the audit trail, in
 * SQLite or PostgreSQL. Flyway reads the migrations from {@code db/migration/*}, and Jackson reads
 * and writes the registry's records, so both get reflective access.
 */
module dev.tessera.registry {
  requires transitive dev.tessera.net;
  requires transitive java.sql;
  requires com.fasterxml.jackson.databind;
  requires com.zaxxer.hikari;
  requires flyway.core;
  requires org.postgresql.jdbc;

  exports dev.tessera.registry;

  opens dev.tessera.registry to
      com.fasterxml.jackson.databind;
  opens db.migration.sqlite;
  opens db.migration.postgresql;
}
