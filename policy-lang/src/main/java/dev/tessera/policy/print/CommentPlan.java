package dev.tessera.policy.print;

import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.Located;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.TagOwner;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides where each comment of a policy is printed, so that {@code fmt} and {@code convert} keep
 * comments next to what they describe whatever the target syntax.
 *
 * <p>Comments are attached to <em>anchors</em>: the top-level entries a printer emits one by one (a
 * group definition, an ACL, a test, the derpMap, ...), each with its extent in the source (its own
 * span joined with its children's, since e.g. a group's span is only its key). A comment
 *
 * <ol>
 *   <li>inside an anchor's extent becomes a leading comment of that anchor (printers lay entries
 *       out anew, so an inner position cannot be kept);
 *   <li>on the line where an anchor starts or ends, after its start, trails that anchor ({@code
 *       allow ... # why});
 *   <li>otherwise leads the next anchor in the source;
 *   <li>after the last anchor is printed at the end of the document.
 * </ol>
 *
 * Printers write trailing comments at the end of the entry's <em>first</em> line, and a comment on
 * the line where an anchor starts (after its start) is read as trailing it, so trailing comments
 * stay trailing through any number of {@code fmt} runs, however an entry is laid out. Comments
 * before the first anchor are the file's header and are printed first, whatever section the first
 * anchor belongs to (printers reorder sections canonically); so are those that lead the first entry
 * printed, since they will read back as the header. Positions are compared by line and column, not
 * offsets, so spans from any reader work. Anchors are looked up by identity: AST records compare
 * structurally and two identical rules are still two places to put comments.
 */
final class CommentPlan {
  private record Anchor(Object node, SourceSpan extent) {}

  private final Map<Object, List<Comment>> leading = new IdentityHashMap<>();
  private final Map<Object, List<Comment>> trailing = new IdentityHashMap<>();
  private final List<Comment> head = new ArrayList<>();
  private final List<Comment> tail = new ArrayList<>();

  static CommentPlan of(Policy p) {
    CommentPlan plan = new CommentPlan();
    if (p.comments().isEmpty()) {
      return plan;
    }
    List<Anchor> anchors = new ArrayList<>();
    for (GroupDef g : p.groups()) {
      add(anchors, g, g.span(), g.members());
    }
    for (TagOwner t : p.tagOwners()) {
      add(anchors, t, t.span(), t.owners());
    }
    p.hosts().forEach(h -> add(anchors, h, h.span(), List.of()));
    for (IpSetDef s : p.ipsets()) {
      add(anchors, s, s.span(), s.ops());
    }
    for (PostureDef s : p.postures()) {
      add(anchors, s, s.span(), s.conditions());
    }
    if (!p.defaultSrcPosture().isEmpty()) {
      add(anchors, p.defaultSrcPosture(), SourceSpan.NONE, p.defaultSrcPosture());
    }
    p.acls().forEach(a -> add(anchors, a, a.span(), a.src(), a.dst(), a.srcPosture()));
    p.grants()
        .forEach(
            g ->
                add(
                    anchors,
                    g,
                    g.span(),
                    g.src(),
                    g.dst(),
                    g.ip(),
                    g.app(),
                    g.srcPosture(),
                    g.via()));
    for (AutoApprovers.RouteApprover r : p.autoApprovers().routes()) {
      add(anchors, r, r.span(), r.approvers());
    }
    if (!p.autoApprovers().exitNode().isEmpty()) {
      add(anchors, p.autoApprovers().exitNode(), SourceSpan.NONE, p.autoApprovers().exitNode());
    }
    for (AutoApprovers.ServiceApprover r : p.autoApprovers().services()) {
      add(anchors, r, r.span(), r.approvers());
    }
    p.ssh().forEach(s -> add(anchors, s, s.span(), s.src(), s.dst(), s.srcPosture(), s.recorder()));
    p.nodeAttrs().forEach(n -> add(anchors, n, n.span(), n.target(), n.app()));
    p.tests().forEach(t -> add(anchors, t, t.span(), List.of(t.src()), t.accept(), t.deny()));
    p.sshTests().forEach(t -> add(anchors, t, t.span()));
    p.derpMap().ifPresent(j -> add(anchors, j, j.span()));
    // Anchors were added in print order; the first printed one matters below.
    Object firstPrinted = anchors.isEmpty() ? null : anchors.getFirst().node();
    anchors.sort(Comparator.comparing(Anchor::extent, CommentPlan::compareStart));

    List<Comment> comments = new ArrayList<>(p.comments());
    comments.sort(Comparator.comparing(Comment::span, CommentPlan::compareStart));
    for (Comment c : comments) {
      plan.place(c, anchors);
    }
    // Comments leading the first printed entry are printed before it, hence before every entry:
    // read back, they are the header. Putting them in the header now makes printing idempotent.
    if (firstPrinted != null) {
      List<Comment> first = plan.leading.remove(firstPrinted);
      if (first != null) {
        plan.head.addAll(first);
      }
    }
    return plan;
  }

  /**
   * An anchor whose extent runs from its own start to the end of its last child. The node's own end
   * is not used when it has children: a YAML reader may end a block mapping where the next token
   * starts, after the comments that precede the next entry.
   */
  @SafeVarargs
  private static void add(
      List<Anchor> anchors, Object node, SourceSpan own, List<? extends Located>... children) {
    SourceSpan ext = null;
    for (List<? extends Located> list : children) {
      for (Located l : list) {
        ext = ext == null ? l.span() : join(ext, l.span());
      }
    }
    if (own.isKnown()) {
      // Without children, a one-line node counts whole; a multi-line one only by its start, so
      // comments inside it go to the next entry rather than swallowing the next entry's.
      SourceSpan head =
          own.startLine() == own.endLine()
              ? own
              : new SourceSpan(
                  own.file(),
                  own.startLine(),
                  own.startCol(),
                  own.startLine(),
                  own.startCol(),
                  own.startOffset(),
                  own.startOffset());
      ext = ext == null ? head : join(head, ext);
    }
    if (ext != null && ext.isKnown()) {
      anchors.add(new Anchor(node, ext));
    }
  }

  private static SourceSpan join(SourceSpan a, SourceSpan b) {
    if (!a.isKnown()) {
      return b;
    }
    if (!b.isKnown()) {
      return a;
    }
    SourceSpan start = compareStart(a, b) <= 0 ? a : b;
    SourceSpan end = compareEnd(a, b) >= 0 ? a : b;
    return new SourceSpan(
        a.file(),
        start.startLine(),
        start.startCol(),
        end.endLine(),
        end.endCol(),
        start.startOffset(),
        end.endOffset());
  }

  private static int compareStart(SourceSpan a, SourceSpan b) {
    int c = Integer.compare(a.startLine(), b.startLine());
    return c != 0 ? c : Integer.compare(a.startCol(), b.startCol());
  }

  private static int compareEnd(SourceSpan a, SourceSpan b) {
    int c = Integer.compare(a.endLine(), b.endLine());
    return c != 0 ? c : Integer.compare(a.endCol(), b.endCol());
  }

  /** True if position (line, col) is at or after the end of span s. */
  private static boolean atOrAfterEnd(int line, int col, SourceSpan s) {
    return line > s.endLine() || (line == s.endLine() && col >= s.endCol());
  }

  private void place(Comment c, List<Anchor> anchors) {
    SourceSpan cs = c.span();
    if (!cs.isKnown() || anchors.isEmpty()) {
      tail.add(c);
      return;
    }
    // Last anchor starting at or before the comment.
    int lo = 0;
    int hi = anchors.size() - 1;
    int before = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (compareStart(anchors.get(mid).extent(), cs) <= 0) {
        before = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (before >= 0) {
      Anchor a = anchors.get(before);
      if (a.extent().startLine() == cs.startLine() && cs.startLine() == cs.endLine()) {
        trailing.computeIfAbsent(a.node(), k -> new ArrayList<>()).add(c);
        return;
      }
      boolean inside = !atOrAfterEnd(cs.startLine(), cs.startCol(), a.extent());
      if (inside) {
        leading.computeIfAbsent(a.node(), k -> new ArrayList<>()).add(c);
        return;
      }
      if (a.extent().endLine() == cs.startLine() && cs.startLine() == cs.endLine()) {
        trailing.computeIfAbsent(a.node(), k -> new ArrayList<>()).add(c);
        return;
      }
    }
    if (before < 0) {
      head.add(c);
    } else if (before + 1 < anchors.size()) {
      leading.computeIfAbsent(anchors.get(before + 1).node(), k -> new ArrayList<>()).add(c);
    } else {
      tail.add(c);
    }
  }

  List<Comment> leading(Object node) {
    return leading.getOrDefault(node, List.of());
  }

  List<Comment> trailing(Object node) {
    return trailing.getOrDefault(node, List.of());
  }

  List<Comment> head() {
    return head;
  }

  List<Comment> tail() {
    return tail;
  }
}
