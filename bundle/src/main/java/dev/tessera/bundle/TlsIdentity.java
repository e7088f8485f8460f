package dev.tessera.bundle;

import dev.tessera.net.IpAddress;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Optional TLS for the policy server: a self-signed certificate that agents pin.
 *
 * <p>TLS here adds confidentiality of the filters in transit, nothing more: bundles are signed and
 * requests are authenticated without it (see {@link NodeAuth}). So there is no CA and no system
 * trust store in the picture: {@code policyc keygen --tls} makes an ECDSA P-256 key and a
 * certificate for the names and addresses the server is reached by, and each agent trusts exactly
 * that certificate ({@code [Tessera] ServerCert =}). Files are PEM: the certificate, and the
 * private key as unencrypted PKCS#8 (mode 0600), which is what Netty's server TLS reads. Servers of
 * one control plane may each have their own certificate: the agent's file then holds all of them,
 * one PEM block after the other, and each is trusted for every server.
 */
public final class TlsIdentity {
  private TlsIdentity() {}

  /**
   * Writes {@code certFile} and {@code keyFile} (neither may exist) for the given DNS names and IP
   * addresses, valid for {@code validity} from now.
   */
  public static X509Certificate generate(
      Path certFile, Path keyFile, List<String> names, Duration validity) throws IOException {
    try {
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
      kpg.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair kp = kpg.generateKeyPair();
      X500Name subject = new X500Name("CN=tessera-policy-server");
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              subject,
              new BigInteger(127, new SecureRandom()),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(validity)),
              subject,
              kp.getPublic());
      List<GeneralName> san = new ArrayList<>();
      for (String n : names) {
        san.add(
            isAddress(n)
                ? new GeneralName(GeneralName.iPAddress, n)
                : new GeneralName(GeneralName.dNSName, n));
      }
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(san.toArray(GeneralName[]::new)));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate(
                  b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
      Files.createFile(
          keyFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(
          keyFile, pem("PRIVATE KEY", kp.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
      Files.writeString(
          certFile,
          pem("CERTIFICATE", cert.getEncoded()),
          StandardCharsets.US_ASCII,
          java.nio.file.StandardOpenOption.CREATE_NEW,
          java.nio.file.StandardOpenOption.WRITE);
      return cert;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot create the TLS certificate: " + e.getMessage(), e);
    }
  }

  /** The largest certificate file read (a PEM certificate is a few KiB). */
  static final int MAX_CERT_BYTES = 1 << 20;

  /**
   * Every certificate in the PEM file {@code certFile}, in file order: one, or several (one per
   * server of a control plane whose servers have certificates of their own). Throws naming the file
   * when it holds none, or anything that is not a certificate.
   */
  public static List<X509Certificate> certificates(Path certFile) throws IOException {
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      List<X509Certificate> out = new ArrayList<>();
      for (java.security.cert.Certificate c :
          cf.generateCertificates(
              new ByteArrayInputStream(BoundedFiles.read(certFile, MAX_CERT_BYTES)))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new IOException(certFile + ": no certificate in it");
      }
      return List.copyOf(out);
    } catch (GeneralSecurityException e) {
      throw new IOException(certFile + ": not a usable certificate: " + e.getMessage(), e);
    }
  }

  /** {@code certificates} as PEM, one block after the other (what {@link #certificates} reads). */
  public static String pem(List<X509Certificate> certificates) throws IOException {
    StringBuilder sb = new StringBuilder();
    try {
      for (X509Certificate c : certificates) {
        sb.append(pem("CERTIFICATE", c.getEncoded()));
      }
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IOException("cannot encode a certificate: " + e.getMessage(), e);
    }
    return sb.toString();
  }

  /**
   * A client SSL context that trusts exactly the certificates in {@code certFile} (see {@link
   * #certificates}): each of them for every server the context is used with.
   */
  public static SSLContext trusting(Path certFile) throws IOException {
    List<X509Certificate> certs = certificates(certFile);
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < certs.size(); i++) {
        store.setCertificateEntry("tessera-policy-server-" + i, certs.get(i));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException(certFile + ": not a usable certificate: " + e.getMessage(), e);
    }
  }

  private static boolean isAddress(String s) {
    return IpAddress.tryParse(s) != null;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
