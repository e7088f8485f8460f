package dev.tessera.agent.config;

import dev.tessera.agent.crypto.WgKey;
import java.util.Base64;

/** Lenient-free key parsing for configs and the UAPI: null instead of an exception on bad input. */
public final class Keys {
  private Keys() {}

  /** Base64 as {@code wg genkey} prints it: exactly 44 characters ending in one '='. */
  public static WgKey base64OrNull(String text) {
    String t = text.strip();
    if (t.length() != 44 || t.charAt(43) != '=' || t.charAt(42) == '=') {
      return null;
    }
    try {
      byte[] b = Base64.getDecoder().decode(t);
      return b.length == WgKey.LENGTH ? WgKey.of(b) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** 64 hex digits, as the UAPI carries keys. */
  public static WgKey hexOrNull(String text) {
    if (text.length() != 2 * WgKey.LENGTH) {
      return null;
    }
    for (int i = 0; i < text.length(); i++) {
      if (Character.digit(text.charAt(i), 16) < 0) {
        return null;
      }
    }
    return WgKey.fromHex(text);
  }
}
