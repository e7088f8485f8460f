package dev.tessera.bench.server;

import dev.tessera.bundle.NodeAuth;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Hostile load against a policy server while honest agents long-poll ({@link PropagationLoad} with
 * {@code -Dtessera.flood=...}). Each kind runs on its own threads with blocking sockets, sending as
 * fast as the server answers:
 *
 * <ul>
 *   <li>{@code garbage}: 1 KiB of random bytes and an empty line on a fresh connection;
 *   <li>{@code forged}: well-formed requests for real node names with authenticators made under a
 *       wrong key (each one would have cost the server a Diffie-Hellman before it cached keys);
 *   <li>{@code unknown}: requests for node names that do not exist;
 *   <li>{@code abusive}: validly signed requests of real nodes (not the measured agents) asking for
 *       their full bundle again and again ({@code wait=0}, no If-None-Match);
 *   <li>{@code idle}: connections that are opened and never send anything.
 * </ul>
 *
 * Outcomes are counted per kind and HTTP status ({@code closed} when the server hung up).
 */
final class Flood implements AutoCloseable {
  private final InetSocketAddress server;
  private final List<Thread> threads = new ArrayList<>();
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final List<Socket> idle = new ArrayList<>();
  private volatile boolean stop;
  private final AtomicLong started = new AtomicLong(System.nanoTime());

  Flood(InetSocketAddress server) {
    this.server = server;
  }

  /** Starts {@code threads} threads of {@code kind}. */
  void start(String kind, int threadCount, List<String> realNodes, List<NodeAuth.Signer> abusers) {
    for (int t = 0; t < threadCount; t++) {
      int id = t;
      Runnable body =
          switch (kind) {
            case "garbage" -> () -> garbage(id);
            case "forged" ->
                () ->
                    requests(
                        kind, id, rnd -> forged(realNodes.get(rnd.nextInt(realNodes.size())), rnd));
            case "unknown" ->
                () -> requests(kind, id, rnd -> forged("ghost-" + rnd.nextInt(1_000_000), rnd));
            case "abusive" ->
                () -> requests(kind, id, rnd -> signed(abusers.get(id % abusers.size())));
            default -> throw new IllegalArgumentException("unknown flood kind " + kind);
          };
      Thread th = Thread.ofPlatform().name("flood-" + kind + "-" + t).daemon().start(body);
      threads.add(th);
    }
  }

  /** Opens {@code count} connections that never send anything. */
  void idle(int count) {
    for (int i = 0; i < count; i++) {
      try {
        Socket s = new Socket();
        s.connect(server, 5_000);
        idle.add(s);
      } catch (IOException e) {
        count("idle", "connect-failed");
      }
    }
    Thread.ofPlatform()
        .name("flood-idle")
        .daemon()
        .start(
            () -> {
              byte[] b = new byte[1];
              while (!stop) {
                for (Socket s : idle) {
                  try {
                    s.setSoTimeout(1);
                    if (!s.isClosed() && s.getInputStream().read(b) == -1) {
                      count("idle", "closed");
                      s.close();
                    }
                  } catch (java.net.SocketTimeoutException e) {
                    // still open
                  } catch (IOException e) {
                    count("idle", "closed");
                    try {
                      s.close();
                    } catch (IOException ignored) {
                      // closing
                    }
                  }
                }
                sleep(200);
              }
            });
  }

  private interface RequestMaker {
    String make(Random rnd);
  }

  private void garbage(int id) {
    Random rnd = new Random(id);
    byte[] junk = new byte[1024];
    while (!stop) {
      try (Socket s = new Socket()) {
        s.connect(server, 5_000);
        rnd.nextBytes(junk);
        s.getOutputStream().write(junk);
        s.getOutputStream()
            .write("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)); // ends the "request"

        s.setSoTimeout(5_000);
        String status = readStatus(new BufferedInputStream(s.getInputStream()));
        count("garbage", status);
      } catch (IOException e) {
        count("garbage", "closed");
      }
    }
  }

  private void requests(String kind, int id, RequestMaker maker) {
    Random rnd = new Random(id * 31L + kind.hashCode());
    while (!stop) {
      try (Socket s = new Socket()) {
        s.connect(server, 5_000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        InputStream in = new BufferedInputStream(s.getInputStream());
        while (!stop) {
          out.write(maker.make(rnd).getBytes(StandardCharsets.ISO_8859_1));
          String status = readStatus(in);
          count(kind, status);
          if (status.equals("closed")) {
            break;
          }
          if (status.equals("429")) {
            sleep(
                5); // keep asking: an abuser ignores Retry-After, but not so fast it only measures
            // itself
          }
        }
      } catch (IOException e) {
        count(kind, "closed");
      }
    }
  }

  private static String forged(String node, Random rnd) {
    byte[] mac = new byte[32];
    rnd.nextBytes(mac);
    StringBuilder nonce = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      nonce.append(String.format("%02x", rnd.nextInt(256)));
    }
    return "GET /v1/bundle?wait=0 HTTP/1.1\r\nHost: x\r\n"
        + NodeAuth.HEADER_NODE
        + ": "
        + node
        + "\r\n"
        + NodeAuth.HEADER_TIME
        + ": "
        + System.currentTimeMillis()
        + "\r\n"
        + NodeAuth.HEADER_NONCE
        + ": "
        + nonce
        + "\r\n"
        + NodeAuth.HEADER_AUTH
        + ": "
        + java.util.Base64.getEncoder().encodeToString(mac)
        + "\r\n\r\n";
  }

  private static String signed(NodeAuth.Signer signer) {
    NodeAuth.Headers h =
        signer.sign("GET", "/v1/bundle?wait=0", new byte[0], System.currentTimeMillis());
    StringBuilder sb = new StringBuilder("GET /v1/bundle?wait=0 HTTP/1.1\r\nHost: x\r\n");
    h.asMap().forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
    return sb.append("\r\n").toString();
  }

  /** Reads one response; returns its status code, or "closed". */
  private static String readStatus(InputStream in) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      return "closed";
    }
    String[] parts = statusLine.split(" ");
    String status = parts.length > 1 ? parts[1] : "bad";
    long length = 0;
    for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      if (colon > 0 && h.substring(0, colon).equalsIgnoreCase("content-length")) {
        length = Long.parseLong(h.substring(colon + 1).strip());
      }
    }
    in.skipNBytes(length);
    return status;
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        int n = sb.length();
        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
      }
      sb.append((char) c);
    }
    return sb.isEmpty() ? null : sb.toString();
  }

  private void count(String kind, String status) {
    outcomes.computeIfAbsent(kind + " " + status, k -> new LongAdder()).increment();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Restarts the clock the rates are computed over and forgets the counts so far. */
  void resetCounts() {
    outcomes.clear();
    started.set(System.nanoTime());
  }

  /** One line per kind and outcome: count and rate per second since the last reset. */
  String report() {
    double seconds = (System.nanoTime() - started.get()) / 1e9;
    StringBuilder sb = new StringBuilder();
    new TreeMap<>(outcomes)
        .forEach(
            (k, v) ->
                sb.append(
                    String.format("  %-22s %9d  (%,.0f/s)%n", k, v.sum(), v.sum() / seconds)));
    return sb.toString();
  }

  @Override
  public void close() {
    stop = true;
    for (Thread t : threads) {
      t.interrupt();
    }
    for (Socket s : idle) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    }
  }
}
