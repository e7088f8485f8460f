package dev.tessera.compiler.diff;

import dev.tessera.compiler.matrix.Endpoint;
import dev.tessera.compiler.matrix.RuleRef;
import java.util.List;

/**
 * What a policy change does to access: the access gained and lost, each linked to the rule change
 * that caused it.
 *
 * <p>Changes are stored as rectangles: a {@link Change} says every one of its sources gained (or
 * lost) the same protocol and ports to every one of its destinations, for the same causes. A
 * one-line edit to a rule used by 9,000 laptops is one entry listing them, not 9,000 lines.
 *
 * @param oldName how the old policy is named in output (file, or {@code REV:path})
 * @param newName how the new policy is named
 * @param inventorySynthesized true when no inventory was given and one was made up from the
 *     policies (a device per user, tag and host), which the output must say
 * @param nodes nodes compared
 * @param changedNodes destination nodes whose compiled filter allows something different
 * @param changes gained and lost access, gained first, then by source and destination
 * @param notes caveats for the reader
 */
public record AccessDiff(
    String oldName,
    String newName,
    boolean inventorySynthesized,
    int nodes,
    int changedNodes,
    List<Change> changes,
    List<String> notes) {

  public AccessDiff {
    changes = List.copyOf(changes);
    notes = List.copyOf(notes);
  }

  /** True when the two policies allow exactly the same packets on this inventory. */
  public boolean unchanged() {
    return changes.isEmpty();
  }

  /** (source, destination) pairs with access gained (or lost), summed over changes. */
  public long count(Kind kind) {
    return changes.stream()
        .filter(c -> c.kind() == kind)
        .mapToLong(c -> (long) c.sources().size() * c.destinations().size())
        .sum();
  }

  /** Access gained or lost. */
  public enum Kind {
    GAINED,
    LOST
  }

  /**
   * Every source reaches (GAINED) or no longer reaches (LOST) every destination with each of {@code
   * access}. Sources and destinations are devices (and subnets, external prefixes) in the natural
   * order of their names; {@code sourcePrincipals} and {@code destinationPrincipals} say the same
   * sets in the policy's words ({@code group:ops}, {@code tag:db}, {@code 3 of 5 devices of
   * group:eng}, then remaining device names).
   */
  public record Change(
      Kind kind,
      List<Access> access,
      List<Cause> causes,
      List<Endpoint> sources,
      List<Endpoint> destinations,
      List<String> sourcePrincipals,
      List<String> destinationPrincipals) {
    public Change {
      access = List.copyOf(access);
      causes = List.copyOf(causes);
      sources = List.copyOf(sources);
      destinations = List.copyOf(destinations);
      sourcePrincipals = List.copyOf(sourcePrincipals);
      destinationPrincipals = List.copyOf(destinationPrincipals);
    }
  }

  /** One protocol and its port ranges (inclusive; ignored for protocols without ports). */
  public record Access(int protocol, List<int[]> ports) {
    public Access {
      ports = ports.stream().map(int[]::clone).toList();
    }
  }

  /** How a rule differs between the versions. */
  public enum Status {
    /** The rule is only in NEW (no rule with the same content in OLD). */
    ADDED,
    /** The rule is only in OLD. */
    REMOVED,
    /** The rule at the same place was edited; {@link Cause#counterpart()} is the other version. */
    MODIFIED,
    /**
     * The rule is the same in both; a definition it uses (group, tag, host, posture...) changed.
     */
    DEFINITION_CHANGED,
    /**
     * The rule is the same in both and so are its definitions: the change comes from elsewhere
     * (e.g. another rule's removal no longer masks nothing; inventory-dependent resolution).
     */
    UNCHANGED
  }

  /**
   * A rule behind a change: for GAINED, a NEW rule that grants the access; for LOST, an OLD rule
   * that granted it.
   *
   * @param inNew whether {@code rule} is a location in the new policy
   * @param counterpart for MODIFIED, the rule's other version; else null
   * @param definitions for DEFINITION_CHANGED, the changed definitions the rule uses
   */
  public record Cause(
      boolean inNew, RuleRef rule, Status status, RuleRef counterpart, List<String> definitions) {
    public Cause {
      definitions = List.copyOf(definitions);
    }
  }
}
