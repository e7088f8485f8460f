#!/usr/bin/env bash
# Policy server under attack: AGENTS honest agents (default 10000) long-poll while floods of
# garbage, forged and unknown-node requests, validly signed abusive requests and idle connections
# run (FLOOD: kind=threads,..., default below; see Flood.java); prints the honest agents'
# propagation p50/p90/p99 of a policy change, the flood's outcomes per kind (401, 429, closed, ...)
# and the server's limit counters. Run `propagation.sh` (no flood) in the same minutes for a baseline.
TESSERA_FLOOD="${FLOOD:-garbage=8,forged=16,unknown=8,abusive=4,idle=2000}" \
  exec "$(dirname "$(readlink -f "$0")")/propagation.sh" "$@"
