import http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { SubsystemLogger } from "../log/logger.js";
import type { HttpRouterDeps } from "../transport/http-router.js";
import { createHttpRouter } from "../transport/http-router.js";
import { formatHostPort, type ListenPlan } from "../transport/net.js";

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

/** The HTTP servers on the gateway port (primary host and loopback aliases) and the WebSocket upgrade on them. */
export class GatewayListener {
  private readonly servers: http.Server[] = [];
  /** The hosts actually bound, primary first (an alias that failed is not here). */
  readonly addresses: string[] = [];
  private readonly wss: WebSocketServer;

  constructor(private readonly options: GatewayListenerOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  }

  /** Binds the primary host (failure is fatal), then each alias (failure is a warning); resolves with the bound port. */
  async listen(requestedPort: number): Promise<number> {
    const { host, aliases } = this.options.listenPlan;
    const log = this.options.log;
    const port = await this.listenOn(host, requestedPort, true);
    log.info(`listening on ws://${formatHostPort(host, port)} (PID ${process.pid})`);
    for (const alias of aliases) {
      try {
        await this.listenOn(alias, port, false);
        log.info(`listening on ws://${formatHostPort(alias, port)}`);
      } catch (error) {
        log.warn(`gateway: failed to bind loopback alias ${formatHostPort(alias, port)} (${String(error)})`);
      }
    }
    return port;
  }

  private listenOn(host: string, port: number, primary: boolean): Promise<number> {
    const server = http.createServer(createHttpRouter(this.options.http));
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
        const url = `ws://${formatHostPort(host, port)}`;
        reject(
          new Error(
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
