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
  /** `device-token`: a paired device, by its device token (or the first connect after its approval). */
  authMethod: "token" | "password" | "trusted-proxy" | "device-token";
  remoteAddress: string;
}

/** hello-ok `auth`: a device token issued to the connecting device for its role (REFERENCE §5.6). */
export interface DeviceTokenGrant {
  deviceToken: string;
  role: string;
  scopes: string[];
  issuedAtMs: number;
}
