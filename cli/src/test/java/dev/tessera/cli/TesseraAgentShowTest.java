package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code tessera-agent show} for an agent that takes its filter from a policy server. */
class TesseraAgentShowTest {
  static final String GET = "listen_port=51820\nerrno=0\n";

  @Test
  void showsBundleInForceRefusalsByReasonAndLastError() {
    String status =
        """
        filter_mode=enforce
        filter_sha256=09b20d43c54c4b47762c
        drop_inbound_filter-unavailable=2
        drop_outbound_filter-unavailable=4
        bundle_server=http://198.51.100.7:8411/
        bundle_node=web-1
        bundle_version=7
        bundle_revision=sha256:7e5b78f2+inv-e0a2
        bundle_applied_at_ms=995000
        bundle_refused=3
        bundle_refused_bad-signature=2
        bundle_refused_rollback=1
        bundle_error=policy server http://198.51.100.7:8411/ request failed: ConnectException
        policy_peers_admitted=5
        policy_peers_excluded=1
        policy_peers_from_bundle=4
        errno=0
        """;
    String out = TesseraAgent.StatusFormat.format("wg0", GET, status, 1000);
    assertThat(out)
        .contains("  filter: policy bundle v7 (sha256 09b20d43c54c)\n")
        .contains("  policy server: http://198.51.100.7:8411/ as node web-1\n")
        .contains("  bundle: v7, revision sha256:7e5b78f2+inv-e0a2, applied 5 seconds ago\n")
        .contains("  peers by policy: 5 admitted, 1 excluded, 4 from the bundle\n")
        .contains("  bundles refused: 3 (bad-signature 2, rollback 1)\n")
        .contains(
            "  last error: policy server http://198.51.100.7:8411/ request failed: ConnectException\n")
        .contains("  outbound filter-unavailable: 4\n");
  }

  @Test
  void failingClosedWithoutABundleSaysSo() {
    String status =
        """
        filter_mode=fail_closed
        filter_error=no policy bundle received yet
        drop_inbound_filter-unavailable=0
        drop_outbound_filter-unavailable=0
        bundle_server=http://198.51.100.7:8411/
        bundle_node=web-1
        bundle_version=0
        bundle_refused=0
        policy_peers_admitted=3
        policy_peers_excluded=0
        """;
    String out = TesseraAgent.StatusFormat.format("wg0", GET, status, 1000);
    assertThat(out)
        .contains(
            "FAILING CLOSED (dropping all inbound and outbound) - no policy bundle received yet")
        .contains("  bundle: none received yet (failing closed)\n")
        .contains("  bundles refused: 0\n")
        .doesNotContain("peers by policy")
        .doesNotContain("last error");
  }

  @Test
  void severalServersShowTheOnePolledAndTheList() {
    String status =
        """
        filter_mode=enforce
        bundle_server=http://198.51.100.8:8411/
        bundle_servers=http://198.51.100.7:8411/, http://198.51.100.8:8411/
        bundle_node=web-1
        bundle_version=0
        bundle_refused=0
        """;
    assertThat(TesseraAgent.StatusFormat.format("wg0", GET, status, 1000))
        .contains(
            "  policy server: http://198.51.100.8:8411/ as node web-1 (of"
                + " http://198.51.100.7:8411/, http://198.51.100.8:8411/)\n");
  }

  @Test
  void fileFilterOutputIsUnchanged() {
    String out =
        TesseraAgent.StatusFormat.format(
            "wg0",
            GET,
            "filter_mode=enforce\nfilter_file=/etc/tessera/wg0.tfilter\nfilter_sha256=abcdef0123456789\n",
            1000);
    assertThat(out)
        .contains("  filter: /etc/tessera/wg0.tfilter (sha256 abcdef012345)\n")
        .doesNotContain("policy server");
  }

  @Test
  void noRouteIsAnOutboundDropAndPeerDropsShowUnderTheirPeer() {
    String key = "11".repeat(32);
    String get = "listen_port=51820\npublic_key=" + key + "\nallowed_ip=10.0.0.2/32\nerrno=0\n";
    String status =
        """
        filter_mode=allow_all
        wg_drop_no_route=3
        wg_drop_decrypt_failed=2
        wg_drop_malformed=0
        peer_drop_%s_decrypt_failed=2
        peer_drop_%s_no_endpoint=1
        """
            .formatted(key, key);
    String out = TesseraAgent.StatusFormat.format("wg0", get, status, 1000);
    assertThat(out)
        .contains("wireguard drops (from the network, before decryption):\n  decrypt_failed: 2\n")
        .contains("wireguard drops (from the TUN, before encryption):\n  no_route: 3\n")
        .contains("  drops: decrypt_failed 2 (inbound), no_endpoint 1 (outbound)\n")
        .doesNotContain("either way");
  }

  @Test
  void showsTheExitNodeTheAcceptedRoutesAndTheAdvertisedOnes() {
    String base =
        """
        filter_mode=enforce
        filter_sha256=09b20d43c54c4b47762c
        bundle_server=http://198.51.100.7:8411/
        bundle_node=laptop
        bundle_version=7
        bundle_revision=r7
        bundle_applied_at_ms=995000
        bundle_refused=0
        policy_peers_admitted=0
        policy_peers_excluded=0
        policy_peers_from_bundle=3
        """;
    String active =
        TesseraAgent.StatusFormat.format(
            "tessera0",
            GET,
            base
                + """
                accept_routes=on
                accepted_routes=10.1.0.0/16,fd00:1::/64
                local_routes=192.168.1.0/24
                exit_node=exit
                exit_node_state=active
                advertised_routes=
                """,
            1000);
    assertThat(active)
        .contains("  exit node: exit (default traffic goes through it)\n")
        .contains(
            "  accepted routes: 10.1.0.0/16, fd00:1::/64; not routed, on this machine's own"
                + " network: 192.168.1.0/24\n")
        .contains("  advertised routes: (none)\n");
    String refused =
        TesseraAgent.StatusFormat.format(
            "tessera0",
            GET,
            base
                + """
                exit_node=exit
                exit_node_state=no-exit-route
                advertised_routes=10.7.0.0/16,0.0.0.0/0,::/0
                advertise_refused=300 routes advertised; at most 256 are taken
                """,
            1000);
    assertThat(refused)
        .contains(
            "  exit node: exit (REFUSED: it offers this node no exit route; default traffic is"
                + " dropped)\n")
        .contains(
            "  advertised routes: 10.7.0.0/16, 0.0.0.0/0, ::/0\n"
                + "  advertised routes REFUSED by the policy server: 300 routes advertised; at most"
                + " 256 are taken (it keeps the routes it had before)\n")
        .doesNotContain("accepted routes");
    assertThat(active).doesNotContain("REFUSED by the policy server");
    assertThat(TesseraAgent.StatusFormat.format("tessera0", GET, base, 1000))
        .as("a node that chose nothing shows nothing of it")
        .doesNotContain("exit node")
        .doesNotContain("accepted routes")
        .doesNotContain("advertised routes");
  }
}
