package dev.tessera.enforcer;

/**
 * The installed filter: its matcher and generation, swapped as one value behind the enforcer's
 * volatile field; a packet reads it once. Flows a rule admitted under an older generation are
 * re-checked against the matcher at their next packet.
 */
record Snapshot(Matcher matcher, int generation) {}
