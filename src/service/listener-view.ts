import {
  dialHost,
  listensOnLoopbackOnly,
  runtimeRecordUrl,
  type GatewayRuntimeRecord,
} from "../host/runtime-record.js";
import type { ServiceContext } from "./service-context.js";

export interface ListenerView {
  bindMode: string;
  /** The address(es) bound: the record's, or what the config's bind mode resolves to. */
  bindHost: string;
  port: number;
  portSource: string;
  /** Where a local probe dials (IPv6 bracketed) and the URL built from it. */
  host: string;
  url: string;
  probeNote?: string;
}

/** Where the gateway listens: its runtime record when it runs (unless `--port` looks elsewhere), else the config. */
export function listenerView(
  service: ServiceContext,
  record: GatewayRuntimeRecord | null,
  portFlag: number | undefined,
): ListenerView {
  if (record && (portFlag === undefined || portFlag === record.port)) {
    const host = dialHost(record);
    const loopbackOnly = listensOnLoopbackOnly(record);
    return {
      bindMode: record.bind,
      bindHost: record.addresses.join(", "),
      port: record.port,
      portSource: portFlag === undefined ? `running gateway pid ${record.pid}` : "cli --port",
      host,
      url: runtimeRecordUrl(record),
      probeNote: loopbackOnly
        ? "Loopback-only gateway; only local clients can connect."
        : `Listens on ${record.addresses.join(", ")}: other hosts can connect; probing via ${host}.`,
    };
  }
  if (portFlag !== undefined) {
    return {
      bindMode: service.snapshot.config.gateway.bind,
      bindHost: service.bindHost,
      port: portFlag,
      portSource: "cli --port",
      host: "127.0.0.1",
      url: `ws://127.0.0.1:${portFlag}`,
    };
  }
  return {
    bindMode: service.snapshot.config.gateway.bind,
    bindHost: service.bindHost,
    port: service.port,
    portSource: service.portSource,
    host: service.host,
    url: service.url,
    ...(service.probeNote ? { probeNote: service.probeNote } : {}),
  };
}

/** A secret the service unit pins in its environment (the service gateway takes env over config). */
export function unitCredentials(serviceEnv: Record<string, string>): {
  token?: string;
  password?: string;
  credentialSource?: string;
} {
  const token = serviceEnv.CODERCLAW_GATEWAY_TOKEN?.trim();
  if (token) return { token, credentialSource: "service env CODERCLAW_GATEWAY_TOKEN" };
  const password = serviceEnv.CODERCLAW_GATEWAY_PASSWORD?.trim();
  if (password) return { password, credentialSource: "service env CODERCLAW_GATEWAY_PASSWORD" };
  return {};
}
