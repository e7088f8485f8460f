package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Help of policyc and tessera-agent: on every command, whole sentences, and the completion script.
 */
class HelpTest {

  record Run(int code, String out, String err) {}

  /**
   * Runs a program's command line. tessera-agent's commands print with System.out/err, so those are
   * captured too; the tree is built after they are swapped, since picocli's default execution
   * strategy holds on to the System.out it saw when the tree was built.
   */
  static Run run(String program, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
    ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
      CommandLine cl = tree(program);
      cl.setOut(new PrintWriter(out));
      cl.setErr(new PrintWriter(err));
      code = cl.execute(args);
      cl.getOut().flush();
      cl.getErr().flush();
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    return new Run(
        code,
        out + sysOut.toString(StandardCharsets.UTF_8),
        err + sysErr.toString(StandardCharsets.UTF_8));
  }

  static CommandLine tree(String program) {
    return program.equals("policyc") ? PolicyC.commandLine() : TesseraAgent.commandLine();
  }

  /** Every command path of both programs, e.g. {@code policyc test}, {@code tessera-agent show}. */
  static Stream<String> commands() {
    List<String> all = new ArrayList<>();
    for (String program : List.of("policyc", "tessera-agent")) {
      collect(tree(program), program, all);
    }
    return all.stream();
  }

  private static void collect(CommandLine cl, String path, List<String> into) {
    into.add(path);
    for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
      collect(e.getValue(), path + " " + e.getKey(), into);
    }
  }

  @ParameterizedTest(name = "{0} --help")
  @MethodSource("commands")
  void helpWorksOnEveryCommand(String path) {
    String[] words = path.split(" ");
    String[] args = new String[words.length];
    System.arraycopy(words, 1, args, 0, words.length - 1);
    args[words.length - 1] = "--help";
    Run r = run(words[0], args);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("(?m)^Usage: " + path + " ");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void helpCommandAndVersionOnSubcommands() {
    Run help = run("tessera-agent", "help", "show");
    assertThat(help.code()).isZero();
    assertThat(help.out()).startsWith("Usage: tessera-agent show");
    Run version = run("policyc", "test", "--version");
    assertThat(version.out()).startsWith("policyc " + Version.number() + "\n");
  }

  @Test
  void bothProgramsPrintTheBuildVersion() {
    String built = System.getProperty("tessera.version");
    assertThat(built).as("set by cli/pom.xml from the project version").isNotBlank();
    assertThat(run("policyc", "--version").out()).startsWith("policyc " + built + "\nJava 25");
    assertThat(run("tessera-agent", "--version").out())
        .startsWith("tessera-agent " + built + "\nJava 25");
  }

  /**
   * The command list shows each command's first sentence, whole: read back from the wrapped help
   * text, each entry is exactly that sentence, with nothing cut or split inside a word.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("programs")
  void commandListShowsWholeSentences(String program) {
    CommandLine cl = tree(program);
    String help = run(program, "--help").out();
    String list = help.substring(help.indexOf("Commands:\n") + "Commands:\n".length());
    list = list.substring(0, list.indexOf("\n\n"));
    Map<String, String> entries = new LinkedHashMap<>();
    String current = null;
    for (String line : list.split("\n")) {
      if (line.startsWith("  ") && !line.startsWith("   ")) {
        String[] nameAndText = line.strip().split(" +", 2);
        current = nameAndText[0];
        entries.put(current, nameAndText.length > 1 ? nameAndText[1] : "");
      } else {
        entries.merge(current, line.strip(), (a, b) -> a + " " + b);
      }
    }
    List<String> visible =
        cl.getSubcommands().entrySet().stream()
            .filter(e -> !e.getValue().getCommandSpec().usageMessage().hidden())
            .map(Map.Entry::getKey)
            .toList();
    assertThat(entries.keySet()).containsExactlyElementsOf(visible);
    for (Map.Entry<String, String> e : entries.entrySet()) {
      var spec = cl.getSubcommands().get(e.getKey()).getCommandSpec();
      String[] header = spec.usageMessage().header();
      String text =
          String.join(" ", header.length > 0 ? header : spec.usageMessage().description());
      assertThat(e.getValue()).as(e.getKey()).endsWith(".").isEqualTo(HelpText.summary(spec));
      assertThat(text).as(e.getKey()).startsWith(e.getValue());
    }
    assertThat(list).as("hidden commands stay hidden").doesNotContain("generate-completion");
  }

  static Stream<String> programs() {
    return Stream.of("policyc", "tessera-agent");
  }

  @Test
  void summaryIsTheFirstSentence() {
    CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.create();
    spec.usageMessage().description("Find rules that grant nothing.", "More (e.g. a.b) here.");
    assertThat(HelpText.summary(spec)).isEqualTo("Find rules that grant nothing.");
    spec.usageMessage()
        .description("Reads .hujson/.json and .tpol files", "on two lines. Then more.");
    assertThat(HelpText.summary(spec))
        .isEqualTo("Reads .hujson/.json and .tpol files on two lines.");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("programs")
  void completionScriptIsGeneratedByPicocli(String program) {
    Run r = run(program, "generate-completion");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("complete -F _complete_" + program + " ")
        .containsPattern(
            "local commands=\"[^\"]*\\b" + (program.equals("policyc") ? "test" : "show") + "\\b")
        .doesNotContainPattern("local commands=\"[^\"]*generate-completion");
  }
}
