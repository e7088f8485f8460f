package dev.tessera.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

class AgentLogTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ERROR: invalid filter f: bad magic; FAILING CLOSED | ERROR | invalid filter f: bad magic; FAILING CLOSED",
        "WARNING: no filter configured                     | WARN  | no filter configured",
        "warning: cannot resolve endpoint x:1              | WARN  | cannot resolve endpoint x:1",
        "bug: timer handler threw x                        | ERROR | bug: timer handler threw x",
        "failed to bring up wg0: busy                      | ERROR | failed to bring up wg0: busy",
        "filter reload failed: no such file                | WARN  | filter reload failed: no such file",
        "interface wg0 up: public key k                    | INFO  | interface wg0 up: public key k",
      })
  void eachLineGetsTheLevelItsFirstWordNames(String line, String level, String message) {
    Logger logger = (Logger) LoggerFactory.getLogger("dev.tessera.agent.test-" + level);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    try {
      AgentLog.log(logger, line);
    } finally {
      logger.detachAppender(events);
    }
    assertThat(events.list)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getLevel().toString()).isEqualTo(level);
              assertThat(e.getFormattedMessage()).isEqualTo(message);
            });
  }
}
