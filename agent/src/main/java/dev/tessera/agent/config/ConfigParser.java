package dev.tessera.agent.config;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Parser for wg-quick's config format (wg-quick(8), wg(8) CONFIGURATION FILE FORMAT) plus a {@code
 * [Tessera]} section.
 *
 * <p>Design: one pass over the lines, collecting every problem with its line number rather than
 * stopping at the first one, so a user fixes a file in one round. Section and key names are
 * case-insensitive (wg-quick lower-cases them); values are comma-separated lists where wg allows
 * lists, and repeated list keys accumulate. Keys that only wg-quick's shell wrapper understands
 * (DNS, PreUp, PostUp, PreDown, PostDown, SaveConfig) are reported as warnings and ignored, because
 * running arbitrary shell hooks from an agent config is not something Tessera does. Anything else
 * unknown is an error: a misspelt {@code AllowedIPs} silently ignored would route nothing, and a
 * misspelt {@code FilterFile} would silently disable enforcement.
 */
public final class ConfigParser {
  private static final Set<String> WG_QUICK_ONLY =
      Set.of("dns", "preup", "postup", "predown", "postdown", "saveconfig");

  /** The outcome: a config when there were no errors, and all problems (errors and warnings). */
  public record Result(Optional<AgentConfig> config, List<ConfigProblem> problems) {
    public Result {
      problems = List.copyOf(problems);
    }

    public boolean ok() {
      return config.isPresent();
    }

    public List<ConfigProblem> errors() {
      return problems.stream().filter(ConfigProblem::error).toList();
    }
  }

  private enum Section {
    NONE,
    INTERFACE,
    PEER,
    TESSERA
  }

  /**
   * The largest config file read: room for the most peers a device takes ({@code MAX_PEERS},
   * 65,536) at about 250 bytes each.
   */
  public static final int MAX_CONFIG_BYTES = 16 << 20;

  private ConfigParser() {}

  public static Result parse(Path file) {
    String text;
    try {
      text = dev.tessera.bundle.BoundedFiles.readString(file, MAX_CONFIG_BYTES);
    } catch (IOException | java.io.UncheckedIOException e) {
      return new Result(
          Optional.empty(),
          List.of(
              new ConfigProblem(
                  file.toString(), 0, true, "cannot read config: " + e.getMessage())));
    }
    Path base = file.toAbsolutePath().getParent();
    return parse(file.toString(), text, base);
  }

  /**
   * Parses config text. Relative {@code FilterFile} paths resolve against {@code baseDir} (the
   * config file's directory), so a config and its filter can move together.
   */
  public static Result parse(String fileName, String text, Path baseDir) {
    return new Run(fileName, baseDir).run(text);
  }

  private static final class Run {
    final String file;
    final Path baseDir;
    final List<ConfigProblem> problems = new ArrayList<>();

    WgKey privateKey;
    final List<IpCidr> addresses = new ArrayList<>();
    OptionalInt listenPort = OptionalInt.empty();
    OptionalInt mtu = OptionalInt.empty();
    OptionalInt fwMark = OptionalInt.empty();
    RouteTable table = RouteTable.AUTO;
    boolean sawInterface;

    final List<PeerBuilder> peers = new ArrayList<>();
    PeerBuilder peer;

    Path filterFile;
    String policyServer;
    String serverKey;
    String node;
    Path stateDir;
    Path flowLog;
    Path serverCert;
    String maxPolicyAge;
    String staleMode;
    String plainHttp;
    boolean sawTessera;

    Run(String file, Path baseDir) {
      this.file = file;
      this.baseDir = baseDir;
    }

    void error(int line, String msg) {
      problems.add(new ConfigProblem(file, line, true, msg));
    }

    void warn(int line, String msg) {
      problems.add(new ConfigProblem(file, line, false, msg));
    }

    Result run(String text) {
      Section section = Section.NONE;
      String[] lines = text.split("\r?\n", -1);
      for (int i = 0; i < lines.length; i++) {
        int ln = i + 1;
        String line = stripComment(lines[i]).strip();
        if (line.isEmpty()) {
          continue;
        }
        if (line.startsWith("[")) {
          if (!line.endsWith("]")) {
            error(ln, "section header must end with ']': " + line);
            section = Section.NONE;
            continue;
          }
          String name = line.substring(1, line.length() - 1).strip().toLowerCase(Locale.ROOT);
          switch (name) {
            case "interface" -> {
              if (sawInterface) {
                error(ln, "second [Interface] section; a config describes one interface");
              }
              sawInterface = true;
              section = Section.INTERFACE;
            }
            case "peer" -> {
              peer = new PeerBuilder(ln);
              peers.add(peer);
              section = Section.PEER;
            }
            case "tessera" -> {
              if (sawTessera) {
                error(ln, "second [Tessera] section");
              }
              sawTessera = true;
              section = Section.TESSERA;
            }
            default -> {
              error(
                  ln,
                  "unknown section ["
                      + line.substring(1, line.length() - 1).strip()
                      + "] (expected Interface, Peer or Tessera)");
              section = Section.NONE;
            }
          }
          continue;
        }
        int eq = line.indexOf('=');
        if (eq <= 0) {
          error(ln, "expected 'Key = Value', got: " + line);
          continue;
        }
        String key = line.substring(0, eq).strip();
        String value = line.substring(eq + 1).strip();
        String k = key.toLowerCase(Locale.ROOT);
        switch (section) {
          case NONE -> error(ln, "'" + key + "' outside any section (start with [Interface])");
          case INTERFACE -> interfaceKey(ln, key, k, value);
          case PEER -> peerKey(ln, key, k, value);
          case TESSERA -> tesseraKey(ln, key, k, value);
        }
      }
      if (!sawInterface) {
        error(0, "missing [Interface] section");
      } else if (privateKey == null) {
        error(0, "[Interface] has no PrivateKey");
      }
      List<AgentConfig.Peer> built = new ArrayList<>();
      for (int i = 0; i < peers.size(); i++) {
        PeerBuilder p = peers.get(i);
        if (p.publicKey == null) {
          error(p.line, "[Peer] has no PublicKey");
          continue;
        }
        for (int j = 0; j < i; j++) {
          if (p.publicKey.equals(peers.get(j).publicKey)) {
            error(
                p.line,
                "duplicate peer: same PublicKey as the [Peer] on line " + peers.get(j).line);
          }
        }
        if (privateKey != null && p.publicKey.equals(publicOf(privateKey))) {
          warn(
              p.line,
              "this [Peer] has the interface's own public key; WireGuard ignores such a peer");
        }
        built.add(
            new AgentConfig.Peer(
                p.publicKey,
                Optional.ofNullable(p.psk),
                p.allowed,
                Optional.ofNullable(p.endpoint),
                p.keepalive));
      }
      if (problems.stream().anyMatch(ConfigProblem::error)) {
        return new Result(Optional.empty(), problems);
      }
      AgentConfig cfg =
          new AgentConfig(
              new AgentConfig.Interface(privateKey, addresses, listenPort, mtu, fwMark, table),
              built,
              new AgentConfig.Tessera(
                  Optional.ofNullable(filterFile),
                  Optional.ofNullable(policyServer),
                  Optional.ofNullable(serverKey),
                  Optional.ofNullable(node),
                  Optional.ofNullable(stateDir),
                  Optional.ofNullable(serverCert),
                  Optional.ofNullable(maxPolicyAge),
                  Optional.ofNullable(staleMode),
                  Optional.ofNullable(flowLog),
                  Optional.ofNullable(plainHttp)));
      return new Result(Optional.of(cfg), problems);
    }

    void interfaceKey(int ln, String key, String k, String value) {
      switch (k) {
        case "privatekey" -> {
          if (privateKey != null) {
            error(ln, "PrivateKey given twice");
          }
          WgKey key32 = Keys.base64OrNull(value);
          if (key32 == null) {
            error(
                ln, "PrivateKey must be 32 bytes in base64 (44 characters, as `wg genkey` prints)");
          } else {
            privateKey = key32;
          }
        }
        case "address" -> {
          for (String item : list(value)) {
            IpCidr p = IpCidr.tryParse(item.strip());
            if (p == null) {
              error(ln, "Address: not an IP address or prefix: '" + item + "'");
            } else {
              addresses.add(p);
            }
          }
        }
        case "listenport" -> listenPort = port(ln, "ListenPort", value, true);
        case "mtu" -> {
          OptionalInt m = number(ln, "MTU", value, 576, 65535);
          if (m.isPresent()) {
            mtu = m;
          }
        }
        case "fwmark" -> {
          if (value.equalsIgnoreCase("off")) {
            fwMark = OptionalInt.of(0);
          } else {
            // wg(8) reads the mark as a 32-bit unsigned number, decimal or 0x-hex
            Long m = markOrNull(value);
            if (m == null) {
              error(
                  ln,
                  "FwMark must be off or a number 0..4294967295 (decimal or 0x hex), got '"
                      + value
                      + "'");
            } else {
              fwMark = OptionalInt.of((int) (long) m);
            }
          }
        }
        case "table" -> {
          RouteTable t = RouteTable.parseOrNull(value);
          if (t == null) {
            error(
                ln,
                "Table must be off, auto, a table number (1..4294967295) or a table name, got '"
                    + value
                    + "'");
          } else {
            table = t;
          }
        }
        default ->
            unknown(ln, key, k, "Interface", "PrivateKey, Address, ListenPort, MTU, FwMark, Table");
      }
    }

    void peerKey(int ln, String key, String k, String value) {
      PeerBuilder p = peer;
      switch (k) {
        case "publickey" -> {
          if (p.publicKey != null) {
            error(ln, "PublicKey given twice in one [Peer]");
          }
          WgKey key32 = Keys.base64OrNull(value);
          if (key32 == null) {
            error(
                ln, "PublicKey must be 32 bytes in base64 (44 characters, as `wg pubkey` prints)");
          } else {
            p.publicKey = key32;
          }
        }
        case "presharedkey" -> {
          WgKey key32 = Keys.base64OrNull(value);
          if (key32 == null) {
            error(
                ln,
                "PresharedKey must be 32 bytes in base64 (44 characters, as `wg genpsk` prints)");
          } else {
            p.psk = key32;
          }
        }
        case "allowedips" -> {
          for (String item : list(value)) {
            IpCidr pre = IpCidr.tryParse(item.strip());
            if (pre == null) {
              error(ln, "AllowedIPs: not an IP prefix: '" + item + "'");
            } else {
              p.allowed.add(pre.masked());
              if (pre.hasHostBits()) {
                warn(
                    ln,
                    "AllowedIPs: "
                        + pre.toMixedString()
                        + " has host bits set; using "
                        + pre.masked().toMixedString());
              }
            }
          }
        }
        case "endpoint" -> {
          Endpoint e = Endpoint.parseOrNull(value);
          if (e == null) {
            error(ln, "Endpoint must be host:port or [ipv6]:port, got '" + value + "'");
          } else {
            p.endpoint = e;
          }
        }
        case "persistentkeepalive" -> {
          if (value.equalsIgnoreCase("off")) {
            p.keepalive = 0;
          } else {
            OptionalInt s = number(ln, "PersistentKeepalive", value, 0, 65535);
            if (s.isPresent()) {
              p.keepalive = s.getAsInt();
            }
          }
        }
        default ->
            unknown(
                ln,
                key,
                k,
                "Peer",
                "PublicKey, PresharedKey, AllowedIPs, Endpoint, PersistentKeepalive");
      }
    }

    void tesseraKey(int ln, String key, String k, String value) {
      switch (k) {
        case "filterfile" -> {
          if (value.isEmpty()) {
            error(ln, "FilterFile is empty");
          } else {
            Path p = Path.of(value);
            filterFile = p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p).normalize();
          }
        }
        case "policyserver" -> policyServer = value;
        case "serverkey" -> serverKey = value;
        case "node" -> {
          if (value.isEmpty()) {
            error(ln, "Node is empty");
          } else {
            node = value;
          }
        }
        case "statedir" -> {
          if (value.isEmpty()) {
            error(ln, "StateDir is empty");
          } else {
            Path p = Path.of(value);
            stateDir = p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p).normalize();
          }
        }
        case "servercert" -> {
          if (value.isEmpty()) {
            error(ln, "ServerCert is empty");
          } else if (serverCert != null) {
            // Taking the last would silently drop a server's certificate.
            error(
                ln,
                "ServerCert is given twice; put every server's certificate in one PEM file"
                    + " (cat a.crt b.crt > servers.crt)");
          } else {
            Path p = Path.of(value);
            serverCert = p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p).normalize();
          }
        }
        case "flowlog" -> {
          if (value.isEmpty()) {
            error(ln, "FlowLog is empty");
          } else {
            Path p = Path.of(value);
            flowLog = p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p).normalize();
          }
        }
        case "maxpolicyage" -> maxPolicyAge = value;
        case "stalemode" -> staleMode = value;
        case "plainhttp" -> plainHttp = value;
        default ->
            error(
                ln,
                "unknown key '"
                    + key
                    + "' in [Tessera] (known: FilterFile, PolicyServer, ServerKey, Node,"
                    + " StateDir, ServerCert, MaxPolicyAge, StaleMode, FlowLog, PlainHttp)");
      }
    }

    void unknown(int ln, String key, String k, String section, String known) {
      if (WG_QUICK_ONLY.contains(k)) {
        warn(ln, key + " is a wg-quick shell setting; tessera-agent ignores it");
      } else {
        error(ln, "unknown key '" + key + "' in [" + section + "] (known: " + known + ")");
      }
    }

    OptionalInt port(int ln, String name, String value, boolean zeroOk) {
      return number(ln, name, value, zeroOk ? 0 : 1, 65535);
    }

    OptionalInt number(int ln, String name, String value, int min, int max) {
      if (value.isEmpty()
          || value.length() > 10
          || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
        error(ln, name + " must be a number, got '" + value + "'");
        return OptionalInt.empty();
      }
      long v = Long.parseLong(value);
      if (v < min || v > max) {
        error(ln, name + " must be in " + min + ".." + max + ", got " + v);
        return OptionalInt.empty();
      }
      return OptionalInt.of((int) v);
    }
  }

  static Long markOrNull(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    int radix = 10;
    if (v.startsWith("0x")) {
      v = v.substring(2);
      radix = 16;
    }
    if (v.isEmpty() || v.length() > 10) {
      return null;
    }
    try {
      long m = Long.parseLong(v, radix);
      return m >= 0 && m <= 0xffffffffL ? m : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static final class PeerBuilder {
    final int line;
    WgKey publicKey;
    WgKey psk;
    final List<IpPrefix> allowed = new ArrayList<>();
    Endpoint endpoint;
    int keepalive;

    PeerBuilder(int line) {
      this.line = line;
    }
  }

  private static List<String> list(String value) {
    List<String> out = new ArrayList<>();
    for (String s : value.split(",")) {
      if (!s.isBlank()) {
        out.add(s.strip());
      }
    }
    return out;
  }

  private static String stripComment(String line) {
    int hash = line.indexOf('#');
    return hash < 0 ? line : line.substring(0, hash);
  }

  /** Public key of a private key, for the self-peer warning; null if X25519 is unavailable. */
  private static WgKey publicOf(WgKey priv) {
    try {
      return priv.publicKey();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
