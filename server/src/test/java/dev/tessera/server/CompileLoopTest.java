package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.bundle.NodeBundle;
import dev.tessera.bundle.SigningKey;
import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.policy.Policies;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.diag.Diagnostics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compile loop recompiles incrementally when only a few inventory nodes changed under the same
 * policy, and what it then serves is exactly what a full compile gives: every node's served hash is
 * the hash of its filter in a full compile of the files as they are, and only the nodes whose
 * filter changed are signed again.
 */
class CompileLoopTest {
  @TempDir Path dir;
  final SigningKey key = SigningKey.fromSeed(new byte[32]);
  BundleStore store;
  CompileLoop loop;
  ServerStatus status;

  static final String POLICY =
      """
      {
        "groups": {"group:eng": ["ann@acme.com", "bo@acme.com"], "group:ops": ["cy@acme.com"]},
        "tagOwners": {"tag:web": ["group:ops"], "tag:db": ["group:ops"]},
        "acls": [
          {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:443"]},
          {"action": "accept", "src": ["group:ops"], "dst": ["tag:web:*", "tag:db:5432"]},
          {"action": "accept", "src": ["tag:web"], "dst": ["tag:db:5432"]},
          {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]}
        ]
      }
      """;

  static String users(String boRole) {
    return """
        users:
          - {login: ann@acme.com, role: member}
          - {login: bo@acme.com, role: %s}
          - {login: cy@acme.com, role: admin}
        nodes:
        """
        .formatted(boRole);
  }

  static String node(String name, String who, int host) {
    return who.startsWith("tag:")
        ? "  - {name: %s, tags: [%s], ips: [100.64.0.%d]}\n".formatted(name, who, host)
        : "  - {name: %s, user: %s, ips: [100.64.0.%d]}\n".formatted(name, who, host);
  }

  List<String> nodes = new ArrayList<>();
  String role = "member";

  void writeInventory() throws Exception {
    Files.writeString(dir.resolve("inventory.yaml"), users(role) + String.join("", nodes));
  }

  @BeforeEach
  void setUp() throws Exception {
    Files.writeString(dir.resolve("policy.hujson"), POLICY);
    String[] owners = {"ann@acme.com", "bo@acme.com", "cy@acme.com", "tag:web", "tag:db"};
    for (int i = 0; i < 30; i++) {
      nodes.add(node("n" + (10 + i), owners[i % owners.length], 10 + i));
    }
    writeInventory();
    store = new BundleStore(key, dir.resolve("state"), false);
    status = new ServerStatus();
    loop =
        new CompileLoop(
            PolicySource.file(dir.resolve("policy.hujson")),
            PolicySource.file(dir.resolve("inventory.yaml")),
            store,
            new AuditLog(dir.resolve("audit.jsonl")),
            status);
  }

  /**
   * Polls; then every node's served hash must be the hash of a full compile of the files. Returns
   * the nodes signed.
   */
  long pollAndCheck(boolean expectIncremental) throws Exception {
    long signedBefore = store.signatureCount();
    Map<String, String> servedBefore = new java.util.HashMap<>();
    for (String n : store.nodes()) {
      servedBefore.put(n, store.get(n).hash());
    }
    loop.poll();
    assertThat(loop.lastWasIncremental()).isEqualTo(expectIncremental);
    // The reference: a full compile of the files, read as the loop reads them (names locate rules).
    Diagnostics d = new Diagnostics();
    PolicySource.Snapshot inventoryFile = PolicySource.file(dir.resolve("inventory.yaml")).read();
    PolicySource.Snapshot policyFile = PolicySource.file(dir.resolve("policy.hujson")).read();
    Inventory inv = InventoryReader.read(inventoryFile.name(), inventoryFile.text(), d);
    Compilation full =
        Compiler.compile(
            Policies.read(policyFile.name(), policyFile.text(), Syntax.HUJSON)
                .policy()
                .orElseThrow(),
            inv);
    assertThat(full.hasErrors()).isFalse();
    assertThat(store.nodes()).containsExactlyElementsOf(full.nodeNames());
    long changed = 0;
    for (Map.Entry<String, CompiledFilter> e : full.filters().entrySet()) {
      String expected = NodeBundle.hashOf(FilterCodec.encode(e.getValue()));
      assertThat(store.get(e.getKey()).hash()).as(e.getKey()).isEqualTo(expected);
      if (!expected.equals(servedBefore.get(e.getKey()))) {
        changed++;
      }
    }
    // Only the nodes whose filter changed were signed again.
    assertThat(store.signatureCount() - signedBefore).isEqualTo(changed);
    return changed;
  }

  @Test
  void fewNodeChangesAreIncrementalAndServeWhatAFullCompileWould() throws Exception {
    pollAndCheck(false); // first compile: full

    nodes.add(node("n90", "ann@acme.com", 90)); // a device joins (appended)
    writeInventory();
    assertThat(pollAndCheck(true)).isPositive();

    nodes.set(3, node("n13", "tag:db", 13)); // a node's tags change in place (tag:web -> tag:db)
    writeInventory();
    assertThat(pollAndCheck(true)).isPositive();

    nodes.remove(5); // a node leaves from the middle: every later node moves up a line
    nodes.add(node("n91", "tag:db", 91)); // and another joins, in the same edit
    writeInventory();
    assertThat(pollAndCheck(true)).isPositive();

    role = "admin"; // a user's role changes: users differ, full compile
    writeInventory();
    pollAndCheck(false);

    Files.writeString(
        dir.resolve("policy.hujson"),
        POLICY.replace("tag:web:443", "tag:web:8443")); // policy change
    pollAndCheck(false);

    nodes.add(node("n92", "bo@acme.com", 92)); // incremental again on the new policy
    writeInventory();
    pollAndCheck(true);
  }

  @Test
  void aBrokenNodeIsRefusedAndTheNextGoodEditStillServesTheFullCompile() throws Exception {
    pollAndCheck(false);
    String served = status.revision();
    // ann may not apply tag:db (tagOwners: group:ops): an error, so this revision is refused.
    nodes.add("  - {name: n93, user: ann@acme.com, tags: [tag:db], ips: [100.64.0.93]}\n");
    writeInventory();
    loop.poll();
    assertThat(status.revision()).isEqualTo(served);
    assertThat(store.get("n93")).isNull();
    nodes.removeLast();
    nodes.add(node("n94", "cy@acme.com", 94));
    writeInventory();
    pollAndCheck(true);
  }

  @Test
  void tooManyChangedNodesCompileInFull() throws Exception {
    pollAndCheck(false);
    for (int i = 0; i < CompileLoop.MAX_INCREMENTAL_NODES + 1; i++) {
      nodes.add(node("m" + i, "bo@acme.com", 100 + i));
    }
    writeInventory();
    pollAndCheck(false);
  }
}
