/** The authenticated peer of a connection, fixed at hello-ok. */
export interface ClientSession {
  connId: string;
  role: string;
  scopes: string[];
  client: {
    id: string;
    mode: string;
    version: string;
    platform: string;
    displayName?: string;
    instanceId?: string;
  };
  caps: string[];
  deviceId: string | null;
  authMethod: "token" | "password" | "trusted-proxy";
  remoteAddress: string;
}
