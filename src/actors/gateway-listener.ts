import http from "node:http";
import https from "node:https";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { SubsystemLogger } from "../log/logger.js";
import type { HttpRouterDeps } from "../transport/http-router.js";
import { createHttpRouter } from "../transport/http-router.js";
import { formatHostPort, type ListenPlan } from "../transport/net.js";

/** A port that could not be bound: reported like a lock failure, by its message alone. */
export class ListenError extends Error {
  override name = "ListenError";

  override toString(): string {
    return this.message;
  }
}

/** A socket error during the upgrade (the client went away mid-handshake) ends that socket only. */
function destroySocket(this: Duplex): void {
  this.destroy();
}

export interface GatewayListenerOptions {
  listenPlan: ListenPlan;
  maxPayloadBytes: number;
  http: HttpRouterDeps;
  /** An upgraded WebSocket, handed to the connection runtime. */
  onConnection(ws: WebSocket, request: http.IncomingMessage): void;
  /** The primary listener failed after it was bound. */
  onFault(error: string): void;
  log: SubsystemLogger;
}

const PLAIN_ON_TLS_BODY = "This gateway serves TLS only: use https:// or wss://\n";
const PLAIN_ON_TLS_RESPONSE = [
  "HTTP/1.1 400 Bad Request",
  "Content-Type: text/plain; charset=utf-8",
  `Content-Length: ${Buffer.byteLength(PLAIN_ON_TLS_BODY)}`,
  "Connection: close",
  "",
  PLAIN_ON_TLS_BODY,
].join("\r\n");

/**
 * A plain HTTP request on the TLS port (OpenSSL recognises it: `ERR_SSL_HTTP_REQUEST`) is answered
 * with a short plain-text 400 on the raw TCP socket, so `http://` and `ws://` clients learn why
 * instead of seeing a reset.
 */
function answerPlainRequests(server: https.Server): void {
  const rawSockets = new Map<string, net.Socket>();
  const keyOf = (socket: net.Socket) => `${socket.remoteAddress}|${socket.remotePort}`;
  server.on("connection", (socket: net.Socket) => {
    const key = keyOf(socket);
    rawSockets.set(key, socket);
    socket.once("close", () => rawSockets.delete(key));
  });
  server.on("tlsClientError", (error: NodeJS.ErrnoException, tlsSocket) => {
    const raw = rawSockets.get(keyOf(tlsSocket));
    if (error.code === "ERR_SSL_HTTP_REQUEST" && raw && raw.writable) raw.end(PLAIN_ON_TLS_RESPONSE);
    else tlsSocket.destroy();
  });
}

/** The HTTP servers on the gateway port (primary host and loopback aliases) and the WebSocket upgrade on them. */
export class GatewayListener {
  private readonly servers: http.Server[] = [];
  /** The hosts actually bound, primary first (an alias that failed is not here). */
  readonly addresses: string[] = [];
  private readonly wss: WebSocketServer;
  /** Serve https/wss with this certificate (PEM); plain http/ws without. */
  private tls: { cert: string; key: string } | undefined;

  constructor(private readonly options: GatewayListenerOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  }

  /** Binds the primary host (failure is fatal), then each alias (failure is a warning); resolves with the bound port. */
  async listen(requestedPort: number, tls?: { cert: string; key: string }): Promise<number> {
    this.tls = tls;
    const { host, aliases } = this.options.listenPlan;
    const log = this.options.log;
    const port = await this.listenOn(host, requestedPort, true);
    log.info(`listening on ${this.scheme}://${formatHostPort(host, port)} (PID ${process.pid})`);
    for (const alias of aliases) {
      try {
        await this.listenOn(alias, port, false);
        log.info(`listening on ${this.scheme}://${formatHostPort(alias, port)}`);
      } catch (error) {
        log.warn(`gateway: failed to bind loopback alias ${formatHostPort(alias, port)} (${String(error)})`);
      }
    }
    return port;
  }

  private get scheme(): "ws" | "wss" {
    return this.tls ? "wss" : "ws";
  }

  private createServer(): http.Server {
    const router = createHttpRouter(this.options.http);
    const { tls } = this;
    if (!tls) return http.createServer(router);
    const server = https.createServer({ cert: tls.cert, key: tls.key }, router);
    answerPlainRequests(server);
    return server;
  }

  private listenOn(host: string, port: number, primary: boolean): Promise<number> {
    const server = this.createServer();
    server.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", destroySocket);
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        // From here ws handles socket errors; a listener left behind would keep the request alive.
        socket.off("error", destroySocket);
        this.options.onConnection(ws, request);
      });
    });
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.close();
        const url = `${this.scheme}://${formatHostPort(host, port)}`;
        reject(
          new ListenError(
            error.code === "EADDRINUSE"
              ? `another gateway instance is already listening on ${url}`
              : `failed to bind gateway socket on ${url}: ${error.message}`,
          ),
        );
      };
      server.once("error", onError);
      server.listen({ host, port, exclusive: true }, () => {
        server.off("error", onError);
        if (primary) server.on("error", (error) => this.options.onFault(`listener failed: ${error.message}`));
        this.servers.push(server);
        this.addresses.push(host);
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  /** Call after every WebSocket was closed: `http.Server.close()` does not end upgraded sockets. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    this.servers.length = 0;
    this.addresses.length = 0;
  }
}
