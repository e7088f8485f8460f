package dev.tessera.dist;

import dev.tessera.cli.PolicyC;
import dev.tessera.cli.TesseraAgent;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.asciidoctor.Asciidoctor;
import org.asciidoctor.Options;
import org.asciidoctor.SafeMode;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Build step of the release archive (run by dist/pom.xml): writes into the directory given the
 * files generated from the command trees policyc and tessera-agent run, so help, completion and man
 * pages cannot disagree with the programs:
 *
 * <ul>
 *   <li>{@code share/bash-completion/completions/{policyc,tessera-agent}}: picocli's completion
 *       script (bash; zsh after {@code autoload bashcompinit && bashcompinit});
 *   <li>{@code share/man/man1/*.1}: a man page per command and subcommand, generated as AsciiDoc by
 *       picocli's ManPageGenerator and converted to troff by Asciidoctor.
 * </ul>
 */
public final class Docs {
  private Docs() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: Docs OUTPUT_DIR");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    List<CommandLine> programs = List.of(PolicyC.commandLine(), TesseraAgent.commandLine());

    Path completions = Files.createDirectories(out.resolve("share/bash-completion/completions"));
    for (CommandLine cl : programs) {
      String name = cl.getCommandName();
      Files.writeString(
          completions.resolve(name), AutoComplete.bash(name, cl), StandardCharsets.UTF_8);
    }

    Path adoc = Files.createDirectories(out.resolveSibling(out.getFileName() + "-adoc"));
    List<CommandLine.Model.CommandSpec> specs = new ArrayList<>();
    for (CommandLine cl : programs) {
      cl.getSubcommands().values().stream()
          .filter(sub -> sub.getCommandSpec().usageMessage().hidden())
          .map(CommandLine::getCommandName)
          .toList()
          .forEach(hidden -> cl.getCommandSpec().removeSubcommand(hidden));
      specs.add(cl.getCommandSpec());
    }
    int rc =
        ManPageGenerator.generateManPage(
            adoc.toFile(),
            null,
            new boolean[0],
            true,
            specs.toArray(CommandLine.Model.CommandSpec[]::new));
    if (rc != 0) {
      throw new IOException("picocli's man page generator failed with " + rc);
    }
    Path man1 = Files.createDirectories(out.resolve("share/man/man1"));
    List<File> pages;
    try (Stream<Path> s = Files.list(adoc)) {
      pages = s.filter(p -> p.toString().endsWith(".adoc")).sorted().map(Path::toFile).toList();
    }
    try (Asciidoctor asciidoctor = Asciidoctor.Factory.create()) {
      for (File page : pages) {
        asciidoctor.convertFile(
            page,
            Options.builder()
                .backend("manpage")
                .safe(SafeMode.UNSAFE)
                .toDir(man1.toFile())
                .mkDirs(true)
                .build());
      }
    }
    try (Stream<Path> s = Files.list(man1)) {
      long n = s.count();
      if (n != pages.size()) {
        throw new IOException(
            "expected " + pages.size() + " man pages in " + man1 + ", found " + n);
      }
    }
    System.out.println(
        "dist: "
            + programs.size()
            + " completion scripts and "
            + pages.size()
            + " man pages in "
            + out);
  }
}
