package dev.tessera.cli;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * What the help of every command of policyc and tessera-agent shares: {@code -h/--help} and {@code
 * -V/--version} on every subcommand, the exit-code table, and a command list that shows each
 * command's first sentence whole (picocli's own list shows only the first line of a description,
 * which cut several descriptions mid-sentence).
 */
final class HelpText {
  private HelpText() {}

  private static final Pattern SENTENCE_END = Pattern.compile("[.!?](?=\\s|$)");

  /** Applies to {@code cl} and every command below it. */
  static void apply(CommandLine cl, Map<String, String> exitCodes) {
    CommandSpec spec = cl.getCommandSpec();
    if (!spec.mixinStandardHelpOptions()) {
      spec.mixinStandardHelpOptions(true);
    }
    spec.versionProvider(new Version(spec));
    UsageMessageSpec usage = spec.usageMessage();
    if (usage.exitCodeList().isEmpty()) {
      usage.exitCodeListHeading("%nExit codes:%n").exitCodeList(exitCodes);
    }
    cl.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, HelpText::commandList);
    for (CommandLine sub : cl.getSubcommands().values()) {
      if (sub.getParent() == cl) {
        apply(sub, exitCodes);
      }
    }
  }

  /** Each visible subcommand with its summary, wrapped at the usage width. */
  static String commandList(Help help) {
    Map<String, Help> subs = help.subcommands();
    int nameWidth = 0;
    for (Map.Entry<String, Help> e : subs.entrySet()) {
      if (!e.getValue().commandSpec().usageMessage().hidden()) {
        nameWidth = Math.max(nameWidth, e.getKey().length());
      }
    }
    if (nameWidth == 0) {
      return "";
    }
    int width = help.commandSpec().usageMessage().width();
    TextTable table =
        TextTable.forColumns(
            help.colorScheme(),
            new Column(nameWidth + 4, 2, Column.Overflow.SPAN),
            new Column(width - nameWidth - 4, 2, Column.Overflow.WRAP));
    for (Map.Entry<String, Help> e : subs.entrySet()) {
      CommandSpec sub = e.getValue().commandSpec();
      if (!sub.usageMessage().hidden()) {
        table.addRowValues(e.getKey(), summary(sub));
      }
    }
    return table.toString();
  }

  /** The command's header if it has one, else the first sentence of its description, whole. */
  static String summary(CommandSpec spec) {
    String[] header = spec.usageMessage().header();
    String text =
        String.join(" ", header.length > 0 ? header : spec.usageMessage().description()).strip();
    Matcher m = SENTENCE_END.matcher(text);
    return m.find() ? text.substring(0, m.end()) : text;
  }
}
