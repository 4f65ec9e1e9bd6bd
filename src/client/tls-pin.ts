import net from "node:net";
import tls from "node:tls";
import { normalizeFingerprint } from "../protocol/tls-fingerprint.js";

/** The gateway's certificate is not the pinned one: refused before a single frame is sent. */
export class TlsFingerprintMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      [
        "gateway tls fingerprint mismatch",
        `Expected (pinned): ${expected}`,
        `Presented by the gateway: ${actual}`,
        "If the gateway's certificate changed on purpose, pin the new one in gateway.remote.tlsFingerprint.",
      ].join("\n"),
    );
  }
}

/** No pin and a certificate no trusted CA vouches for (the gateway's self-signed one, typically). */
export class TlsUntrustedError extends Error {
  constructor(
    readonly reason: string,
    readonly actual: string,
  ) {
    super(
      [
        `gateway tls certificate not trusted (${reason})`,
        `Presented by the gateway: SHA-256 ${actual}`,
        "Compare it with the fingerprint `coderclaw gateway status` prints on the gateway host, then pin it:",
        `  coderclaw config set gateway.remote.tlsFingerprint ${actual}`,
      ].join("\n"),
    );
  }
}

/**
 * A `createConnection` for ws over TLS. With a pin, the certificate must have exactly that SHA-256
 * fingerprint (CA and host name are then irrelevant: the pin is stricter than both); without one,
 * the usual CA and host-name checks apply. Either failure destroys the socket before the upgrade
 * completes, with an error that names the fingerprint the gateway presented.
 */
export function verifiedTlsConnect(
  pinned: string | undefined,
): (options: tls.ConnectionOptions) => tls.TLSSocket {
  const expected = pinned === undefined ? undefined : (normalizeFingerprint(pinned) ?? pinned);
  return (options) => {
    const host = options.host ?? "";
    const socket = tls.connect({
      ...options,
      // ws passes its HTTP options; a unix path would turn this into a local socket.
      path: undefined,
      servername: options.servername ?? (net.isIP(host) ? "" : host),
      // Checked below, so that the error can say which certificate was presented.
      rejectUnauthorized: false,
    } as tls.ConnectionOptions);
    socket.once("secureConnect", () => {
      const actual = socket.getPeerCertificate().fingerprint256 ?? "";
      if (expected !== undefined) {
        if (actual !== expected) socket.destroy(new TlsFingerprintMismatchError(expected, actual));
      } else if (!socket.authorized) {
        socket.destroy(new TlsUntrustedError(String(socket.authorizationError), actual));
      }
    });
    return socket;
  };
}
