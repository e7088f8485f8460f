package dev.tessera.compiler.matrix;

import java.util.List;
import java.util.Objects;

/**
 * A row or column of the access matrix.
 *
 * <p>Most endpoints are inventory nodes. Two other kinds exist because policies reach addresses
 * that are not devices: {@link Kind#SUBNET} is a destination prefix enforced by a subnet router (a
 * host alias such as {@code office-printer}, or an approved route), and {@link Kind#EXTERNAL} is a
 * source prefix outside the tailnet ranges (a subnet behind a router when {@code *} is the source,
 * a host alias, {@code autogroup:danger-all}). {@link Kind#GROUP} rows and columns appear when the
 * matrix is grouped ({@code --by user}, {@code group}, {@code tag}) and stand for their {@code
 * members}.
 *
 * @param id stable identifier, unique within a matrix (node name, {@code subnet:CIDR@router},
 *     {@code external:CIDR}, {@code user:LOGIN}, {@code group:NAME}, {@code tag:NAME})
 * @param label what renderers print
 * @param kind what the endpoint stands for
 * @param user owning user login of an untagged node, else empty
 * @param tags the node's tags (a tagged node has no user identity)
 * @param groups the policy groups the node's user belongs to (untagged nodes only)
 * @param addresses the node's IPs, or the prefix of a subnet/external endpoint
 * @param via the router enforcing a SUBNET endpoint, else empty
 * @param members for GROUP endpoints, the ids of the endpoints it aggregates
 */
public record Endpoint(
    String id,
    String label,
    Kind kind,
    String user,
    List<String> tags,
    List<String> groups,
    List<String> addresses,
    String via,
    List<String> members) {

  /** What an endpoint stands for. */
  public enum Kind {
    NODE,
    SUBNET,
    EXTERNAL,
    GROUP
  }

  public Endpoint {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(kind, "kind");
    user = user == null ? "" : user;
    via = via == null ? "" : via;
    tags = List.copyOf(tags);
    groups = List.copyOf(groups);
    addresses = List.copyOf(addresses);
    members = List.copyOf(members);
  }

  public static Endpoint node(
      String name, String user, List<String> tags, List<String> groups, List<String> addresses) {
    return new Endpoint(name, name, Kind.NODE, user, tags, groups, addresses, "", List.of());
  }

  public boolean tagged() {
    return !tags.isEmpty();
  }

  /**
   * The heading this endpoint is listed under in a node-level HTML matrix: the user for an untagged
   * node, the first tag for a tagged one, "subnets" or "external" otherwise.
   */
  public String section() {
    return switch (kind) {
      case NODE -> tagged() ? tags.getFirst() : user.isEmpty() ? "(no user)" : user;
      case SUBNET -> "subnet routes";
      case EXTERNAL -> "outside the tailnet";
      case GROUP -> "";
    };
  }
}
