package dev.tessera.policy.ast;

import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A whole policy file, whatever its syntax.
 *
 * <p>Design note: {@link #sections()} records which top-level keys were present, because absent and
 * explicitly empty differ ({@code "acls": []} denies everything). Lists keep source order;
 * name-keyed sections (groups, tagOwners, hosts, ipsets, postures, autoApprovers.routes) are lists
 * of definitions in source order, duplicates having been reported and dropped by the reader.
 * Equality is structural: spans never count (see {@link SourceSpan}), and neither do {@link
 * #comments()} (a YAML {@code #} comment converted from a HuJSON block comment is the same policy),
 * so {@code parse(print(p)).equals(p)} across syntaxes.
 */
public record Policy(
    Set<Section> sections,
    List<GroupDef> groups,
    List<TagOwner> tagOwners,
    List<HostDef> hosts,
    List<IpSetDef> ipsets,
    List<PostureDef> postures,
    List<PostureRef> defaultSrcPosture,
    List<Acl> acls,
    List<Grant> grants,
    AutoApprovers autoApprovers,
    List<SshRule> ssh,
    List<NodeAttr> nodeAttrs,
    List<PolicyTest> tests,
    List<SshTest> sshTests,
    Optional<JsonText> derpMap,
    Optional<Boolean> disableIPv4,
    Optional<Boolean> randomizeClientPort,
    List<Comment> comments,
    SourceSpan span)
    implements Located {

  public Policy {
    sections = sections.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(sections));
    groups = List.copyOf(groups);
    tagOwners = List.copyOf(tagOwners);
    hosts = List.copyOf(hosts);
    ipsets = List.copyOf(ipsets);
    postures = List.copyOf(postures);
    defaultSrcPosture = List.copyOf(defaultSrcPosture);
    acls = List.copyOf(acls);
    grants = List.copyOf(grants);
    Objects.requireNonNull(autoApprovers, "autoApprovers");
    ssh = List.copyOf(ssh);
    nodeAttrs = List.copyOf(nodeAttrs);
    tests = List.copyOf(tests);
    sshTests = List.copyOf(sshTests);
    Objects.requireNonNull(derpMap, "derpMap");
    Objects.requireNonNull(disableIPv4, "disableIPv4");
    Objects.requireNonNull(randomizeClientPort, "randomizeClientPort");
    comments = List.copyOf(comments);
    Objects.requireNonNull(span, "span");
  }

  /** An empty policy (no sections at all). */
  public static Policy empty() {
    return builder().build();
  }

  public boolean has(Section s) {
    return sections.contains(s);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Same policy with other comments (comments do not affect equality). */
  public Policy withComments(List<Comment> newComments) {
    return toBuilder().comments(newComments).build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Policy p
        && sections.equals(p.sections)
        && groups.equals(p.groups)
        && tagOwners.equals(p.tagOwners)
        && hosts.equals(p.hosts)
        && ipsets.equals(p.ipsets)
        && postures.equals(p.postures)
        && defaultSrcPosture.equals(p.defaultSrcPosture)
        && acls.equals(p.acls)
        && grants.equals(p.grants)
        && autoApprovers.equals(p.autoApprovers)
        && ssh.equals(p.ssh)
        && nodeAttrs.equals(p.nodeAttrs)
        && tests.equals(p.tests)
        && sshTests.equals(p.sshTests)
        && derpMap.equals(p.derpMap)
        && disableIPv4.equals(p.disableIPv4)
        && randomizeClientPort.equals(p.randomizeClientPort);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        sections,
        groups,
        tagOwners,
        hosts,
        ipsets,
        postures,
        defaultSrcPosture,
        acls,
        grants,
        autoApprovers,
        ssh,
        nodeAttrs,
        tests,
        sshTests,
        derpMap,
        disableIPv4,
        randomizeClientPort);
  }

  /**
   * Mutable builder used by readers. Setting a section's content marks the section present; use
   * {@link #present(Section)} for a section that appeared but is empty.
   */
  public static final class Builder {
    private final EnumSet<Section> sections = EnumSet.noneOf(Section.class);
    private List<GroupDef> groups = List.of();
    private List<TagOwner> tagOwners = List.of();
    private List<HostDef> hosts = List.of();
    private List<IpSetDef> ipsets = List.of();
    private List<PostureDef> postures = List.of();
    private List<PostureRef> defaultSrcPosture = List.of();
    private List<Acl> acls = List.of();
    private List<Grant> grants = List.of();
    private AutoApprovers autoApprovers = AutoApprovers.EMPTY;
    private List<SshRule> ssh = List.of();
    private List<NodeAttr> nodeAttrs = List.of();
    private List<PolicyTest> tests = List.of();
    private List<SshTest> sshTests = List.of();
    private Optional<JsonText> derpMap = Optional.empty();
    private Optional<Boolean> disableIPv4 = Optional.empty();
    private Optional<Boolean> randomizeClientPort = Optional.empty();
    private List<Comment> comments = List.of();
    private SourceSpan span = SourceSpan.NONE;

    private Builder() {}

    private Builder(Policy p) {
      sections.addAll(p.sections);
      groups = p.groups;
      tagOwners = p.tagOwners;
      hosts = p.hosts;
      ipsets = p.ipsets;
      postures = p.postures;
      defaultSrcPosture = p.defaultSrcPosture;
      acls = p.acls;
      grants = p.grants;
      autoApprovers = p.autoApprovers;
      ssh = p.ssh;
      nodeAttrs = p.nodeAttrs;
      tests = p.tests;
      sshTests = p.sshTests;
      derpMap = p.derpMap;
      disableIPv4 = p.disableIPv4;
      randomizeClientPort = p.randomizeClientPort;
      comments = p.comments;
      span = p.span;
    }

    public Builder present(Section s) {
      sections.add(s);
      return this;
    }

    public Builder absent(Section s) {
      sections.remove(s);
      return this;
    }

    public Builder groups(List<GroupDef> v) {
      groups = v;
      return present(Section.GROUPS);
    }

    public Builder tagOwners(List<TagOwner> v) {
      tagOwners = v;
      return present(Section.TAG_OWNERS);
    }

    public Builder hosts(List<HostDef> v) {
      hosts = v;
      return present(Section.HOSTS);
    }

    public Builder ipsets(List<IpSetDef> v) {
      ipsets = v;
      return present(Section.IPSETS);
    }

    public Builder postures(List<PostureDef> v) {
      postures = v;
      return present(Section.POSTURES);
    }

    public Builder defaultSrcPosture(List<PostureRef> v) {
      defaultSrcPosture = v;
      return present(Section.DEFAULT_SRC_POSTURE);
    }

    public Builder acls(List<Acl> v) {
      acls = v;
      return present(Section.ACLS);
    }

    public Builder grants(List<Grant> v) {
      grants = v;
      return present(Section.GRANTS);
    }

    public Builder autoApprovers(AutoApprovers v) {
      autoApprovers = v;
      return present(Section.AUTO_APPROVERS);
    }

    public Builder ssh(List<SshRule> v) {
      ssh = v;
      return present(Section.SSH);
    }

    public Builder nodeAttrs(List<NodeAttr> v) {
      nodeAttrs = v;
      return present(Section.NODE_ATTRS);
    }

    public Builder tests(List<PolicyTest> v) {
      tests = v;
      return present(Section.TESTS);
    }

    public Builder sshTests(List<SshTest> v) {
      sshTests = v;
      return present(Section.SSH_TESTS);
    }

    public Builder derpMap(JsonText v) {
      derpMap = Optional.of(v);
      return present(Section.DERP_MAP);
    }

    public Builder disableIPv4(boolean v) {
      disableIPv4 = Optional.of(v);
      return present(Section.DISABLE_IPV4);
    }

    public Builder randomizeClientPort(boolean v) {
      randomizeClientPort = Optional.of(v);
      return present(Section.RANDOMIZE_CLIENT_PORT);
    }

    public Builder comments(List<Comment> v) {
      comments = v;
      return this;
    }

    public Builder span(SourceSpan v) {
      span = v;
      return this;
    }

    public Policy build() {
      return new Policy(
          sections,
          groups,
          tagOwners,
          hosts,
          ipsets,
          postures,
          defaultSrcPosture,
          acls,
          grants,
          autoApprovers,
          ssh,
          nodeAttrs,
          tests,
          sshTests,
          derpMap,
          disableIPv4,
          randomizeClientPort,
          comments,
          span);
    }
  }
}
