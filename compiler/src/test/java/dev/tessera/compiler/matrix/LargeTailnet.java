package dev.tessera.compiler.matrix;

import java.util.Random;

/**
 * A company tailnet of any size, as policy and inventory text, for tests of the auditor views at
 * scale (the page at 10,000 nodes). Per 10,000 nodes: 600 users in 60 teams, each with about 11
 * devices (laptop-N, phone-N, ...), 3,000 servers under 150 service tags, two subnet routers; every
 * member reaches the web tier, each team a handful of services with their own ports, some services
 * reach others, and everyone reaches their own devices. Deterministic for a size.
 */
final class LargeTailnet {
  final String policy;
  final String inventory;

  LargeTailnet(int nodes) {
    Random r = new Random(nodes);
    int users = Math.max(4, nodes * 6 / 100);
    int teams = Math.max(2, users / 10);
    int tags = Math.max(3, nodes * 15 / 1000);
    int servers = nodes * 3 / 10;
    StringBuilder p = new StringBuilder("{\n  \"groups\": {\n");
    for (int t = 1; t <= teams; t++) {
      p.append("    \"group:team-").append(t).append("\": [");
      for (int u = t; u <= users; u += teams) {
        p.append(u > t ? ", " : "").append("\"user-").append(u).append("@example.com\"");
      }
      p.append("]").append(t < teams ? "," : "").append('\n');
    }
    p.append("  },\n  \"tagOwners\": {\n");
    for (int g = 1; g <= tags; g++) {
      p.append("    \"tag:svc-")
          .append(g)
          .append("\": [\"group:team-")
          .append(1 + g % teams)
          .append("\"],\n");
    }
    p.append("    \"tag:router\": [\"group:team-1\"]\n  },\n");
    p.append("  \"hosts\": {\"office-lan\": \"10.20.0.0/24\", \"lab\": \"10.30.0.0/24\"},\n");
    p.append("  \"acls\": [\n");
    p.append(
        "    {\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"tag:svc-1:80,443\", \"tag:svc-2:443\"]},\n");
    p.append(
        "    {\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self:*\"]},\n");
    p.append(
        "    {\"action\": \"accept\", \"src\": [\"group:team-1\"], \"dst\": [\"office-lan:*\", \"lab:22,80\"]},\n");
    for (int t = 1; t <= teams; t++) {
      StringBuilder dst = new StringBuilder();
      for (int k = 0; k < 4; k++) {
        int g = 3 + r.nextInt(tags - 2);
        int port = 1000 + r.nextInt(9000);
        dst.append(k > 0 ? ", " : "")
            .append("\"tag:svc-")
            .append(g)
            .append(':')
            .append(k == 0 ? "22," + port : port + "-" + (port + r.nextInt(20)))
            .append('"');
      }
      p.append("    {\"action\": \"accept\", \"src\": [\"group:team-")
          .append(t)
          .append("\"], \"dst\": [")
          .append(dst)
          .append("]},\n");
    }
    for (int g = 3; g <= tags; g += 3) {
      p.append("    {\"action\": \"accept\", \"src\": [\"tag:svc-")
          .append(g)
          .append("\"], \"dst\": [\"tag:svc-")
          .append(3 + r.nextInt(tags - 2))
          .append(":5432\"], \"proto\": \"tcp\"},\n");
    }
    p.append(
        "    {\"action\": \"accept\", \"src\": [\"tag:svc-1\"], \"dst\": [\"tag:svc-2:*\"]}\n  ]\n}\n");
    policy = p.toString();

    StringBuilder inv = new StringBuilder("users:\n");
    for (int u = 1; u <= users; u++) {
      inv.append("  - login: user-")
          .append(u)
          .append("@example.com\n    role: ")
          .append(u == 1 ? "owner" : "member")
          .append('\n');
    }
    inv.append("nodes:\n");
    String[] kinds = {"laptop", "phone", "desktop", "tablet"};
    int ip = 1;
    for (int i = 0; i < nodes; i++) {
      int n = ip++;
      String addr =
          "[100.64."
              + (n / 250)
              + "."
              + (1 + n % 250)
              + ", \"fd7a:115c:a1e0::"
              + Integer.toHexString(n)
              + "\"]";
      if (i < 2) {
        inv.append("  - {name: router-")
            .append(i + 1)
            .append(", tags: [tag:router], ips: ")
            .append(addr)
            .append(", routes: [")
            .append(i == 0 ? "10.20.0.0/24" : "10.30.0.0/24")
            .append("]}\n");
      } else if (i < servers) {
        int g = 1 + (i * 7919) % tags;
        inv.append("  - {name: svc-")
            .append(g)
            .append('-')
            .append(i)
            .append(", tags: [tag:svc-")
            .append(g)
            .append("], ips: ")
            .append(addr)
            .append("}\n");
      } else {
        int u = 1 + i % users;
        inv.append("  - {name: ")
            .append(kinds[i % 4])
            .append('-')
            .append(i)
            .append(", user: user-")
            .append(u)
            .append("@example.com, ips: ")
            .append(addr)
            .append("}\n");
      }
    }
    inventory = inv.toString();
  }
}
