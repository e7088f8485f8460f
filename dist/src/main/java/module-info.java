/**
 * Build-time generator of the release archive's documentation: completion scripts and man pages
 * from the commands' picocli model, the pages rendered by Asciidoctor.
 */
module dev.tessera.dist {
  requires dev.tessera.cli;
  requires info.picocli;
  requires info.picocli.codegen;
  requires org.asciidoctor.asciidoctorj;
  requires org.asciidoctor.asciidoctorj.api;
}
