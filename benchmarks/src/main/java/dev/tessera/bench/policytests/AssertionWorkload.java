package dev.tessera.bench.policytests;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policytests.TestSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A deterministic mix of test entries over a synthetic tailnet, shaped like a real tests block:
 * sources are users (several devices each), tags (many devices) and single node addresses;
 * destinations are tags, users and node addresses with a port; proto empty, tcp or udp; accept and
 * deny. One destination per entry, so {@code count} entries are {@code count} assertions.
 */
public final class AssertionWorkload {
  private AssertionWorkload() {}

  static final int[] PORTS = {22, 53, 80, 443, 3306, 5432, 6443, 8080, 8443, 9100};

  public static List<TestSpec> tests(Policy policy, Inventory inv, int count, long seed) {
    Random rnd = new Random(seed);
    List<String> users = inv.users().stream().map(InventoryUser::login).toList();
    List<String> tags =
        policy.tagOwners().stream()
            .map(TagOwner::tag)
            .map(t -> t.startsWith("tag:") ? t : "tag:" + t)
            .toList();
    List<InventoryNode> nodes = inv.nodes();
    List<TestSpec> out = new ArrayList<>(count);
    SourceSpan span = SourceSpan.NONE;
    for (int i = 0; i < count; i++) {
      String src =
          switch (rnd.nextInt(3)) {
            case 0 -> users.get(rnd.nextInt(users.size()));
            case 1 ->
                tags.isEmpty()
                    ? users.get(rnd.nextInt(users.size()))
                    : tags.get(rnd.nextInt(tags.size()));
            default -> nodes.get(rnd.nextInt(nodes.size())).ips().getFirst().toString();
          };
      int port = PORTS[rnd.nextInt(PORTS.length)];
      String dst =
          switch (rnd.nextInt(3)) {
                case 0 ->
                    tags.isEmpty()
                        ? users.get(rnd.nextInt(users.size()))
                        : tags.get(rnd.nextInt(tags.size()));
                case 1 -> users.get(rnd.nextInt(users.size()));
                default -> {
                  var a = nodes.get(rnd.nextInt(nodes.size())).ips().getFirst();
                  yield a.ipv6() ? "[" + a + "]" : a.toString();
                }
              }
              + ":"
              + port;
      Optional<TestSpec.Text> proto =
          switch (rnd.nextInt(3)) {
            case 0 -> Optional.empty();
            case 1 -> Optional.of(new TestSpec.Text("tcp", span));
            default -> Optional.of(new TestSpec.Text("udp", span));
          };
      boolean accept = rnd.nextBoolean();
      List<TestSpec.Text> d = List.of(new TestSpec.Text(dst, span));
      out.add(
          new TestSpec(
              span,
              Optional.of(new TestSpec.Text(src, span)),
              proto,
              accept ? d : List.of(),
              accept ? List.of() : d,
              accept,
              !accept));
    }
    return out;
  }
}
