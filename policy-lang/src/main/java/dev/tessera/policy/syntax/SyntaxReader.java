package dev.tessera.policy.syntax;

import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.SshRule;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import java.util.List;

/**
 * A reader for one syntax: text to AST, reporting problems as located diagnostics.
 *
 * <p>Contract for implementations (HuJSON and YAML here, the .tpol DSL in {@code
 * dev.tessera.policy.syntax.tpol}, registered through {@code
 * META-INF/services/dev.tessera.policy.syntax.SyntaxReader}):
 *
 * <ul>
 *   <li>never throw for bad input: every problem becomes a {@code Diagnostic} in {@code diags}
 *       whose span names {@code source.name()};
 *   <li>return the best-effort policy read so far (elements that could not be read are left out and
 *       reported), or {@code null} when nothing usable could be read (e.g. a syntax error before
 *       the first section);
 *   <li>do the per-value checks that need the syntax (selectors, ports, protocols, IPs, posture
 *       expressions, duplicate and unknown keys); cross-reference checks (undefined groups, tag
 *       owners, ...) are done once for all syntaxes by {@code dev.tessera.policy.validate}.
 * </ul>
 */
public interface SyntaxReader {
  Syntax syntax();

  Policy read(SourceText source, Diagnostics diags);

  /**
   * What {@link #read} returns, plus rules the reader left out of the policy because of an invalid
   * action or proto, so validation can still report their other problems in the same run. Readers
   * that drop no rules need not override this.
   */
  default Outcome readFull(SourceText source, Diagnostics diags) {
    return new Outcome(read(source, diags), List.of(), List.of(), List.of());
  }

  /**
   * @param policy as from {@link #read}, null if unreadable
   * @param droppedAcls rules left out, rebuilt only for checking (never compiled)
   * @param droppedGrants grants left out, likewise
   * @param droppedSsh ssh rules left out, likewise
   */
  record Outcome(
      Policy policy, List<Acl> droppedAcls, List<Grant> droppedGrants, List<SshRule> droppedSsh) {
    public Outcome {
      droppedAcls = List.copyOf(droppedAcls);
      droppedGrants = List.copyOf(droppedGrants);
      droppedSsh = List.copyOf(droppedSsh);
    }

    /** For readers that never drop grants. */
    public Outcome(Policy policy, List<Acl> droppedAcls, List<SshRule> droppedSsh) {
      this(policy, droppedAcls, List.of(), droppedSsh);
    }
  }
}
