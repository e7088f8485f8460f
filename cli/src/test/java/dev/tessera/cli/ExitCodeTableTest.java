package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.Element;

/**
 * The exit-code table ({@link PolicyC#EXIT_CODES}) holds for every command: each one is run on the
 * same inputs, good and bad, and must answer with the table's code. The commands that write a
 * report ({@code test}, {@code build}) must also show every non-zero exit in the JUnit file and in
 * their last line on stdout.
 */
class ExitCodeTableTest {
  @TempDir static Path dir;

  static final String POLICY =
      """
      {
      	"groups": {"group:eng": ["alice@acme.com"]},
      	"tagOwners": {"tag:web": ["group:eng"]},
      	"acls": [{"action": "accept", "src": ["group:eng"], "dst": ["tag:web:443"]}],
      	"tests": [{"src": "alice@acme.com", "accept": ["tag:web:443"], "deny": ["tag:web:22"]}],
      }
      """;

  static final String INVENTORY =
      """
      users:
        - {login: alice@acme.com, role: member}
      nodes:
        - {name: laptop-alice, user: alice@acme.com, ips: [100.64.0.1]}
        - {name: web-1, tags: [tag:web], ips: [100.64.0.2]}
      """;

  /** The inputs every command is given, by name: each a policy file and an inventory file. */
  enum Input {
    /** A valid, formatted policy and a valid inventory. */
    GOOD(0),
    /** The policy file does not exist. */
    MISSING_POLICY(2),
    /** The policy's name says no syntax Tessera reads. */
    UNKNOWN_FILE_TYPE(2),
    /** The policy is not valid HuJSON. */
    SYNTAX_ERROR(1),
    /** The policy names a group it does not define. */
    UNDEFINED_GROUP(1),
    /** The inventory names a user it does not list. */
    INVALID_INVENTORY(1),
    /** The inventory file does not exist. */
    MISSING_INVENTORY(2),
    /** An option no command has. */
    UNKNOWN_OPTION(2);

    final int code;

    Input(int code) {
      this.code = code;
    }
  }

  /**
   * Where a command's answer is not the row's: fmt and convert read syntax only (meaning is check's
   * job), so a policy with an undefined group formats and converts; commands without an inventory
   * do not read one, and authkey create reads the registry for users instead of an inventory.
   */
  static final Map<String, Map<Input, Integer>> EXCEPTIONS =
      Map.of(
          "fmt",
              Map.of(
                  Input.UNDEFINED_GROUP, 0, Input.INVALID_INVENTORY, 0, Input.MISSING_INVENTORY, 0),
          "convert",
              Map.of(
                  Input.UNDEFINED_GROUP, 0, Input.INVALID_INVENTORY, 0, Input.MISSING_INVENTORY, 0),
          "check", Map.of(Input.INVALID_INVENTORY, 0, Input.MISSING_INVENTORY, 0),
          "authkey", Map.of(Input.INVALID_INVENTORY, 0, Input.MISSING_INVENTORY, 0));

  static Path good;

  @BeforeAll
  static void files() throws Exception {
    Path raw = dir.resolve("raw.hujson");
    Files.writeString(raw, POLICY);
    StringWriter formatted = new StringWriter();
    assertThat(
            PolicyC.run(
                new PrintWriter(formatted),
                new PrintWriter(new StringWriter()),
                "fmt",
                raw.toString()))
        .isZero();
    good = dir.resolve("good.hujson");
    Files.writeString(good, formatted.toString());
    Files.writeString(dir.resolve("inventory.yaml"), INVENTORY);
    dev.tessera.registry.Registry.open(dir.resolve("registry.db").toString()).close();
    Files.writeString(dir.resolve("policy.txt"), POLICY);
    Files.writeString(dir.resolve("syntax.hujson"), "{\"acls\": [\n");
    Files.writeString(
        dir.resolve("undefined.hujson"),
        formatted.toString().replace("\"src\": [\"group:eng\"]", "\"src\": [\"group:nope\"]"));
    Files.writeString(
        dir.resolve("bad-inventory.yaml"),
        INVENTORY.replace("user: alice@acme.com,", "user: mallory@acme.com,"));
  }

  static String policy(Input in) {
    return dir.resolve(
            switch (in) {
              case MISSING_POLICY -> "missing.hujson";
              case UNKNOWN_FILE_TYPE -> "policy.txt";
              case SYNTAX_ERROR -> "syntax.hujson";
              case UNDEFINED_GROUP -> "undefined.hujson";
              default -> "good.hujson";
            })
        .toString();
  }

  static String inventory(Input in) {
    return dir.resolve(
            switch (in) {
              case INVALID_INVENTORY -> "bad-inventory.yaml";
              case MISSING_INVENTORY -> "missing.yaml";
              default -> "inventory.yaml";
            })
        .toString();
  }

  /**
   * Each command's arguments for an input; {@code junit} is where test and build write their
   * report.
   */
  static List<String> args(String command, Input in, Path junit) {
    String p = policy(in);
    String inv = inventory(in);
    List<String> a =
        new ArrayList<>(
            switch (command) {
              case "check" -> List.of("check", p);
              case "fmt" -> List.of("fmt", "--check", p);
              case "convert" -> List.of("convert", p, "--to", "yaml");
              case "compile" ->
                  List.of(
                      "compile",
                      p,
                      "--inventory",
                      inv,
                      "--out",
                      dir.resolve("out-" + in).toString());
              case "build" -> List.of("build", p, "--inventory", inv, "--junit", junit.toString());
              case "test" -> List.of("test", p, "--inventory", inv, "--junit", junit.toString());
              case "explain" ->
                  List.of(
                      "explain",
                      p,
                      "--inventory",
                      inv,
                      "--src",
                      "alice@acme.com",
                      "--dst",
                      "web-1",
                      "--proto",
                      "tcp",
                      "--port",
                      "443");
              case "matrix" -> List.of("matrix", p, "--inventory", inv, "--format", "csv");
              case "diff" -> List.of("diff", good.toString(), p, "--inventory", inv);
              case "lint" -> List.of("lint", p, "--inventory", inv);
              case "authkey" ->
                  List.of(
                      "authkey",
                      "create",
                      "--db",
                      dir.resolve("registry.db").toString(),
                      "--tags",
                      "tag:web",
                      "--as",
                      "alice@acme.com",
                      "--policy",
                      p);
              default -> throw new IllegalArgumentException(command);
            });
    if (in == Input.UNKNOWN_OPTION) {
      a.add("--no-such-option");
    }
    return a;
  }

  static final List<String> COMMANDS =
      List.of(
          "check", "fmt", "convert", "compile", "build", "test", "explain", "matrix", "diff",
          "lint", "authkey");

  static Stream<Arguments> cases() {
    return COMMANDS.stream().flatMap(c -> Stream.of(Input.values()).map(i -> Arguments.of(c, i)));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void everyCommandAnswersWithTheTablesCode(String command, Input in) throws Exception {
    Path junit = dir.resolve("junit-" + command + "-" + in + ".xml");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        PolicyC.run(
            new PrintWriter(out),
            new PrintWriter(err),
            args(command, in, junit).toArray(String[]::new));
    int expected = EXCEPTIONS.getOrDefault(command, Map.of()).getOrDefault(in, in.code);
    assertThat(code)
        .as("%s on %s\nstdout:\n%s\nstderr:\n%s", command, in, out, err)
        .isEqualTo(expected);
    assertThat(err.toString())
        .as("never a stack trace")
        .doesNotContain("\tat ")
        .doesNotContain("Exception");

    boolean reports = command.equals("test") || command.equals("build");
    if (reports && code != 0 && in != Input.UNKNOWN_OPTION) {
      String[] lines = out.toString().stripTrailing().split("\n");
      assertThat(lines[lines.length - 1])
          .as("last line on stdout")
          .containsPattern("^(FAIL |build +FAILED)");
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      Element root = f.newDocumentBuilder().parse(junit.toFile()).getDocumentElement();
      int failing =
          Integer.parseInt(root.getAttribute("failures"))
              + Integer.parseInt(root.getAttribute("errors"));
      assertThat(failing).as("a non-zero exit is a failing case in the JUnit report").isPositive();
    }
  }

  @Test
  void theTableIsTheOneEveryHelpPrints() {
    StringWriter out = new StringWriter();
    assertThat(
            PolicyC.run(
                new PrintWriter(out), new PrintWriter(new StringWriter()), "test", "--help"))
        .isZero();
    assertThat(out.toString())
        .contains("Exit codes:")
        .containsPattern("(?m)^  1   the input was read and has problems")
        .containsPattern("(?m)^  4   diff only: access changed");
    assertThat(PolicyC.EXIT_CODES.keySet())
        .containsExactly(
            Integer.toString(PolicyC.OK),
            Integer.toString(PolicyC.FAILED),
            Integer.toString(PolicyC.USAGE),
            Integer.toString(PolicyC.INTERNAL),
            Integer.toString(PolicyC.CHANGED));
  }
}
