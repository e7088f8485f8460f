package dev.tessera.agent;

import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's status lines as SLF4J events. The agent's components report through a {@code
 * Consumer<String>} ({@link AgentOptions#log}); this one gives each line a level from the word it
 * starts with ({@code ERROR:}, {@code WARNING:}, {@code bug:} ...), drops that word (the level says
 * it), and logs it under the {@code dev.tessera.agent} logger, so the backend adds the date and the
 * level to every line.
 */
public final class AgentLog {
  private static final Logger LOG = LoggerFactory.getLogger("dev.tessera.agent");

  private AgentLog() {}

  /** The agent's log as a consumer of status lines. */
  public static Consumer<String> consumer() {
    return AgentLog::log;
  }

  static void log(String line) {
    log(LOG, line);
  }

  /** Logs {@code line} at the level its first word names (INFO when it names none). */
  static void log(Logger log, String line) {
    Level l = levelOf(line);
    String msg = l.prefixLength > 0 ? line.substring(l.prefixLength).stripLeading() : line;
    switch (l.level) {
      case ERROR -> log.error(msg);
      case WARN -> log.warn(msg);
      default -> log.info(msg);
    }
  }

  /** A level and how many leading characters named it. */
  record Level(org.slf4j.event.Level level, int prefixLength) {}

  static Level levelOf(String line) {
    String lower = line.toLowerCase(Locale.ROOT);
    for (String[] p : PREFIXES) {
      if (lower.startsWith(p[0])) {
        return new Level(
            org.slf4j.event.Level.valueOf(p[1]), p[2].equals("strip") ? p[0].length() : 0);
      }
    }
    return new Level(org.slf4j.event.Level.INFO, 0);
  }

  private static final String[][] PREFIXES = {
    {"error:", "ERROR", "strip"},
    {"bug:", "ERROR", "keep"},
    {"warning:", "WARN", "strip"},
    {"failed to ", "ERROR", "keep"},
    {"filter reload failed", "WARN", "keep"},
  };
}
