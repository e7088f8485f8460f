package dev.tessera.bundle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * The policy server's Ed25519 key. It signs every bundle, and (through its X25519 image, see {@link
 * Curve25519}) authenticates node requests.
 *
 * <p>File format, written by {@code policyc keygen}: the private key file holds one line {@value
 * #PRIVATE_PREFIX} followed by the base64 32-byte seed and is created with mode 0600; the public
 * key is the base64 of the 32-byte Ed25519 public key, the value agents put in {@code ServerKey =}.
 */
public final class SigningKey {
  static final String PRIVATE_PREFIX = "tessera-ed25519-private:";

  private final byte[] seed;
  private final Ed25519PrivateKeyParameters privateKey;
  private final byte[] publicKey;

  private SigningKey(byte[] seed) {
    this.seed = seed.clone();
    this.privateKey = new Ed25519PrivateKeyParameters(seed, 0);
    this.publicKey = privateKey.generatePublicKey().getEncoded();
  }

  public static SigningKey generate() {
    byte[] seed = new byte[32];
    new SecureRandom().nextBytes(seed);
    try {
      return new SigningKey(seed);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** For tests and deterministic fixtures. */
  public static SigningKey fromSeed(byte[] seed) {
    if (seed.length != 32) {
      throw new IllegalArgumentException("an Ed25519 seed is 32 bytes, got " + seed.length);
    }
    return new SigningKey(seed);
  }

  /** Reads a private key file written by {@link #write}. */
  public static SigningKey read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    if (!text.startsWith(PRIVATE_PREFIX)) {
      throw new IOException(
          file
              + ": not a Tessera signing key (expected a line starting with "
              + PRIVATE_PREFIX
              + ")");
    }
    byte[] seed;
    try {
      seed = Base64.getDecoder().decode(text.substring(PRIVATE_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": signing key is not valid base64");
    }
    if (seed.length != 32) {
      throw new IOException(file + ": signing key must hold 32 bytes, holds " + seed.length);
    }
    try {
      return new SigningKey(seed);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** Writes the private key (mode 0600, refusing to overwrite) and returns the public key text. */
  public String write(Path file) throws IOException {
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        file,
        PRIVATE_PREFIX + Base64.getEncoder().encodeToString(seed) + "\n",
        StandardCharsets.US_ASCII);
    return publicKeyBase64();
  }

  public byte[] publicKey() {
    return publicKey.clone();
  }

  public String publicKeyBase64() {
    return Base64.getEncoder().encodeToString(publicKey);
  }

  byte[] sign(byte[] message, int length) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, privateKey);
    signer.update(message, 0, length);
    return signer.generateSignature();
  }

  /** The X25519 scalar used to authenticate nodes; callers must zero it after use. */
  byte[] x25519Scalar() {
    return Curve25519.scalarOfSeed(seed);
  }

  /** Verifies an Ed25519 signature under a public key. */
  static boolean verify(byte[] publicKey, byte[] message, int length, byte[] signature) {
    if (publicKey.length != 32 || signature.length != 64) {
      return false;
    }
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
    verifier.update(message, 0, length);
    return verifier.verifySignature(signature);
  }

  /** Decodes a base64 Ed25519 public key as written by keygen or in an agent's ServerKey. */
  public static byte[] parsePublicKey(String base64) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("server key is not valid base64: " + base64);
    }
    if (key.length != 32) {
      throw new IllegalArgumentException("server key must be 32 bytes, is " + key.length);
    }
    return key;
  }
}
