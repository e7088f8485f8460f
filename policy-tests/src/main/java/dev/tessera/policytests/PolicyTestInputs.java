package dev.tessera.policytests;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reading what {@code policyc test} and {@code explain} are given besides the policy: the inventory
 * and external test files. Every problem, I/O included, is a located diagnostic; the source text is
 * returned so the CLI can print excerpts with policy-lang's renderer.
 */
public final class PolicyTestInputs {
  private PolicyTestInputs() {}

  /** A value read from a file (empty when unusable), its diagnostics and its text. */
  public record Read<T>(
      Optional<T> value, List<Diagnostic> diagnostics, Optional<SourceText> source) {
    public Read {
      diagnostics = List.copyOf(diagnostics);
    }
  }

  public static Read<Inventory> readInventory(Path file) {
    String name = file.toString();
    Optional<String> text = readText(file);
    if (text.isEmpty()) {
      return new Read<>(Optional.empty(), List.of(ioError(file)), Optional.empty());
    }
    Diagnostics diags = new Diagnostics();
    Inventory inv = InventoryReader.read(name, text.get(), diags);
    boolean ok = inv != null && !diags.hasErrors();
    return new Read<>(
        ok ? Optional.of(inv) : Optional.empty(),
        diags.sorted(),
        Optional.of(new SourceText(name, text.get())));
  }

  public static Read<List<TestSpec>> readTests(Path file) {
    String name = file.toString();
    Optional<String> text = readText(file);
    if (text.isEmpty()) {
      return new Read<>(Optional.empty(), List.of(ioError(file)), Optional.empty());
    }
    TestFileReader.Result r = TestFileReader.read(name, text.get());
    boolean ok = r.problems().stream().noneMatch(Diagnostic::isError);
    return new Read<>(
        ok ? Optional.of(r.tests()) : Optional.empty(),
        r.problems(),
        Optional.of(new SourceText(name, text.get())));
  }

  /** The real compiler behind {@link PolicyTester.FilterCompiler}. */
  public static PolicyTester.FilterCompiler compiler() {
    return CompilerBridge::compile;
  }

  /** A compilation done elsewhere (e.g. timed separately by a benchmark), as the tester's input. */
  public static PolicyTester.Compiled compiled(dev.tessera.compiler.Compilation c) {
    return CompilerBridge.of(c);
  }

  private static Optional<String> readText(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      String s = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
      return Optional.of(!s.isEmpty() && s.charAt(0) == '\uFEFF' ? s.substring(1) : s);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Diagnostic ioError(Path file) {
    String why;
    if (!Files.exists(file)) {
      why = "no such file";
    } else if (!Files.isReadable(file) || Files.isDirectory(file)) {
      why = "cannot read the file";
    } else {
      why = "the file is not valid UTF-8";
    }
    return Diagnostic.error(Codes.IO, why, SourceSpan.point(file.toString(), 0, 0, -1));
  }
}
