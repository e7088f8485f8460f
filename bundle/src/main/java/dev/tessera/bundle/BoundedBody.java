package dev.tessera.bundle;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read into memory up to a limit. A body longer than the limit (declared by its
 * Content-Length or found while reading) gives a null body: reading stops there and the rest is
 * never taken in.
 *
 * <p>The result is settled before the body is cancelled, so the connection's close that follows a
 * cancel cannot turn an over-long answer into an I/O error of the request.
 */
public final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {

  private final int max;
  private final boolean declaredTooLong;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private Flow.Subscription subscription;

  private BoundedBody(int max, boolean declaredTooLong) {
    this.max = max;
    this.declaredTooLong = declaredTooLong;
  }

  /** A body handler whose body is at most {@code max} bytes, or null when the answer is longer. */
  public static HttpResponse.BodyHandler<byte[]> atMost(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("negative limit " + max);
    }
    return info ->
        new BoundedBody(max, info.headers().firstValueAsLong("Content-Length").orElse(-1) > max);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (declaredTooLong) {
      tooLong();
    } else {
      s.request(Long.MAX_VALUE);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      int n = b.remaining();
      if (n > max - out.size()) {
        tooLong();
        return;
      }
      if (b.hasArray()) {
        out.write(b.array(), b.arrayOffset() + b.position(), n);
      } else {
        byte[] copy = new byte[n];
        b.get(copy);
        out.write(copy, 0, n);
      }
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    result.complete(out.toByteArray());
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return result;
  }

  private void tooLong() {
    result.complete(null); // first: the cancel below closes the connection
    subscription.cancel();
  }
}
