package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicySourceTest {
  @TempDir Path dir;

  @Test
  void fileRevisionFollowsContent() throws Exception {
    Path f = dir.resolve("p.hujson");
    Files.writeString(f, "{}");
    var a = PolicySource.file(f).read();
    Files.writeString(f, "{ }");
    var b = PolicySource.file(f).read();
    assertThat(a.revision()).isNotEqualTo(b.revision()).startsWith("sha256:");
    assertThat(b.text()).isEqualTo("{ }");
    Files.writeString(f, "{}");
    assertThat(PolicySource.file(f).read().revision()).isEqualTo(a.revision());
    assertThatThrownBy(() -> PolicySource.file(dir.resolve("missing")).read())
        .isInstanceOf(IOException.class);
  }

  @Test
  void fileIsReadAgainOnlyWhenItChanged() throws Exception {
    Path f = dir.resolve("inventory.yaml");
    Files.writeString(f, "nodes: [a]");
    // Settle margin 0 so that the just-written file may be trusted at once.
    var src = new PolicySource.FileSource(f, 0);
    var a = src.read();
    assertThat(src.read()).isSameAs(a); // unchanged: the snapshot is reused, not re-read
    // Same size, new content, replaced by rename (new inode) with the old mtime restored.
    Path tmp = dir.resolve("inventory.yaml.tmp");
    Files.writeString(tmp, "nodes: [b]");
    Files.setLastModifiedTime(tmp, Files.getLastModifiedTime(f));
    Files.move(
        tmp,
        f,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    assertThat(src.read().text()).isEqualTo("nodes: [b]");
    // In place, same size, same mtime restored: the ctime still moves.
    Thread.sleep(20); // more than one coarse kernel clock tick, so the ctime differs
    var b = src.read();
    var mtime = Files.getLastModifiedTime(f);
    Files.writeString(f, "nodes: [c]");
    Files.setLastModifiedTime(f, mtime);
    assertThat(src.read())
        .isNotSameAs(b)
        .extracting(PolicySource.Snapshot::text)
        .isEqualTo("nodes: [c]");
  }

  @Test
  void aFileChangedWithinTheSettleMarginIsNotTrusted() throws Exception {
    Path f = dir.resolve("p.hujson");
    Files.writeString(f, "{\"a\": 1}");
    var src = PolicySource.file(f);
    var a = src.read();
    // Immediately rewritten with the same size: may share the ctime tick, so it must be re-read.
    Files.writeString(f, "{\"a\": 2}");
    assertThat(src.read())
        .isNotSameAs(a)
        .extracting(PolicySource.Snapshot::text)
        .isEqualTo("{\"a\": 2}");
    assertThat(src.read().text()).isEqualTo("{\"a\": 2}");
  }

  @Test
  void gitSourceReadsThePathAtTheRefAndFollowsNewCommits() throws Exception {
    try (Git git = Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call()) {
      Files.createDirectories(dir.resolve("policies"));
      Files.writeString(dir.resolve("policies/acl.hujson"), "{\"acls\": []}");
      git.add().addFilepattern(".").call();
      RevCommit first =
          git.commit()
              .setMessage("one")
              .setAuthor("t", "t@x")
              .setCommitter("t", "t@x")
              .setSign(false)
              .call();
      var src = PolicySource.git(dir, "main", "policies/acl.hujson");
      var s1 = src.read();
      assertThat(s1.revision()).isEqualTo("git:" + first.getName());
      assertThat(s1.text()).isEqualTo("{\"acls\": []}");
      assertThat(s1.name()).startsWith("policies/acl.hujson@");

      // Uncommitted edits are not served: only what is committed at the ref.
      Files.writeString(dir.resolve("policies/acl.hujson"), "{\"grants\": []}");
      assertThat(src.read().revision()).isEqualTo(s1.revision());
      git.add().addFilepattern(".").call();
      RevCommit second =
          git.commit()
              .setMessage("two")
              .setAuthor("t", "t@x")
              .setCommitter("t", "t@x")
              .setSign(false)
              .call();
      var s2 = src.read();
      assertThat(s2.revision()).isEqualTo("git:" + second.getName());
      assertThat(s2.text()).isEqualTo("{\"grants\": []}");

      // An old commit can be served explicitly.
      assertThat(PolicySource.git(dir, first.getName(), "policies/acl.hujson").read().text())
          .isEqualTo("{\"acls\": []}");
      assertThatThrownBy(() -> PolicySource.git(dir, "main", "nope.hujson").read())
          .hasMessageContaining("does not exist");
      assertThatThrownBy(
              () -> PolicySource.git(dir, "no-such-branch", "policies/acl.hujson").read())
          .hasMessageContaining("not found");
    }
  }
}
