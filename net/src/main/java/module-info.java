/** IP address and prefix values: parsing with reasons, RFC 5952 text, containment. */
module dev.tessera.net {
  exports dev.tessera.net;
}
