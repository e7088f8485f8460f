package dev.tessera.bench.policytests;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded synthetic tailnet as policy and inventory <em>text</em> (HuJSON and YAML), so that it
 * goes through the same readers as a user's files: {@code nodes} nodes (60% personal devices of
 * {@code nodes / 20} users, 40% tagged across {@code nodes / 50} tags), {@code nodes / 100}
 * groups, {@code nodes / 5} acls (groups, users, tags and autogroup:member as sources; tags,
 * groups and hosts behind subnet routers as destinations; some with proto or srcPosture), a
 * posture, 20 subnet routers.
 *
 * <p>Used by {@link PolicyTestBench} for the 10k-node figure; the compiler's benchmark generator
 * (dev.tessera.bench.compiler) is meant to replace it once it exists.
 */
public final class SyntheticTailnet {
  public final String policy;
  public final String inventory;

  private SyntheticTailnet(String policy, String inventory) {
    this.policy = policy;
    this.inventory = inventory;
  }

  public static SyntheticTailnet generate(int nodes, long seed) {
    Random rnd = new Random(seed);
    int users = Math.max(1, nodes / 20);
    int tags = Math.max(1, nodes / 50);
    int groups = Math.max(1, nodes / 100);
    int rules = Math.max(1, nodes / 5);
    int routers = Math.min(20, tags);
    int[] ports = {22, 53, 80, 443, 3306, 5432, 6443, 8080, 8443, 9100};

    StringBuilder p = new StringBuilder("{\n  \"groups\": {\n");
    for (int g = 0; g < groups; g++) {
      p.append("    \"group:g").append(g).append("\": [");
      int n = 5 + rnd.nextInt(16);
      for (int k = 0; k < n; k++) {
        p.append(k == 0 ? "" : ", ").append("\"u").append(rnd.nextInt(users)).append("@bench.example\"");
      }
      p.append("],\n");
    }
    p.append("  },\n  \"tagOwners\": {\n");
    for (int t = 0; t < tags; t++) {
      p.append("    \"tag:t").append(t).append("\": [\"u0@bench.example\"],\n");
    }
    p.append("  },\n  \"hosts\": {\n");
    for (int r = 0; r < routers; r++) {
      p.append("    \"h").append(r).append("\": \"10.").append(r).append(".0.10\",\n");
    }
    p.append("  },\n  \"postures\": {\"posture:ok\": [\"node:os IN ['linux', 'macos']\"]},\n  \"acls\": [\n");
    for (int i = 0; i < rules; i++) {
      String src = switch (rnd.nextInt(4)) {
        case 0 -> "group:g" + rnd.nextInt(groups);
        case 1 -> "u" + rnd.nextInt(users) + "@bench.example";
        case 2 -> "tag:t" + rnd.nextInt(tags);
        default -> "autogroup:member";
      };
      StringBuilder dst = new StringBuilder();
      int nd = 1 + rnd.nextInt(3);
      for (int k = 0; k < nd; k++) {
        String target = switch (rnd.nextInt(5)) {
          case 0 -> "group:g" + rnd.nextInt(groups);
          case 1 -> "h" + rnd.nextInt(routers);
          default -> "tag:t" + rnd.nextInt(tags);
        };
        String port = rnd.nextInt(4) == 0
            ? ports[rnd.nextInt(ports.length)] + "," + ports[rnd.nextInt(ports.length)]
            : Integer.toString(ports[rnd.nextInt(ports.length)]);
        dst.append(k == 0 ? "" : ", ").append('"').append(target).append(':').append(port).append('"');
      }
      p.append("    {\"action\": \"accept\", \"src\": [\"").append(src).append("\"], \"dst\": [").append(dst).append("]");
      if (rnd.nextInt(4) == 0) {
        p.append(", \"proto\": \"tcp\"");
      }
      if (rnd.nextInt(10) == 0) {
        p.append(", \"srcPosture\": [\"posture:ok\"]");
      }
      p.append("},\n");
    }
    p.append("  ],\n}\n");

    StringBuilder inv = new StringBuilder("users:\n");
    for (int u = 0; u < users; u++) {
      inv.append("  - login: u").append(u).append("@bench.example\n    role: ")
          .append(u % 50 == 0 ? "admin" : "member").append('\n');
    }
    inv.append("nodes:\n");
    String[] oses = {"linux", "macos", "windows", "ios"};
    int personal = nodes * 6 / 10;
    for (int i = 0; i < nodes; i++) {
      int n = i + 1;
      inv.append("  - name: n").append(i).append('\n');
      List<String> route = new ArrayList<>();
      if (i < personal) {
        inv.append("    user: u").append(i % users).append("@bench.example\n");
      } else {
        int t = (i - personal) % tags;
        inv.append("    user: u0@bench.example\n    tags: [tag:t").append(t).append("]\n");
        if (i - personal < routers) {
          route.add("10." + (i - personal) + ".0.0/16");
        }
      }
      inv.append("    ips: [100.").append(64 + (n >> 16)).append('.').append((n >> 8) & 0xFF).append('.')
          .append(n & 0xFF).append(", \"fd7a:115c:a1e0::").append(Integer.toHexString(n)).append("\"]\n");
      inv.append("    posture: {\"node:os\": ").append(oses[rnd.nextInt(oses.length)]).append("}\n");
      if (!route.isEmpty()) {
        inv.append("    routes: [").append(String.join(", ", route)).append("]\n");
      }
    }
    return new SyntheticTailnet(p.toString(), inv.toString());
  }
}
