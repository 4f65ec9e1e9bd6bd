import { createHash, createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { writePrivateFile } from "../config/private-file.js";

/** `<stateDir>/identity/device.json`: this client's Ed25519 key pair (REFERENCE §5.4, §9.1). */
interface DeviceIdentityFile {
  version: 1;
  deviceId: string;
  publicKey: string;
  privateKeyPem: string;
  createdAtMs: number;
}

/** `<stateDir>/identity/device-auth.json`: the device tokens gateways issued, per gateway URL and role. */
interface DeviceTokensFile {
  version: 1;
  deviceId: string;
  gateways: Record<string, Record<string, StoredDeviceToken>>;
}

export interface StoredDeviceToken {
  token: string;
  scopes: string[];
  issuedAtMs: number;
}

export function identityDir(stateDir: string): string {
  return path.join(stateDir, "identity");
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** A device identity this client signs its connects with. */
export class ClientDeviceIdentity {
  private constructor(
    readonly deviceId: string,
    /** The raw 32-byte public key, base64url. */
    readonly publicKey: string,
    private readonly privateKeyPem: string,
    private readonly tokensFile: string,
  ) {}

  /** Reads the identity under `<stateDir>/identity/`, creating it (0600, directory 0700) on first use. */
  static loadOrCreate(stateDir: string): ClientDeviceIdentity {
    const dir = identityDir(stateDir);
    const file = path.join(dir, "device.json");
    const tokensFile = path.join(dir, "device-auth.json");
    const stored = readJson(file) as DeviceIdentityFile | null;
    if (stored && typeof stored.privateKeyPem === "string" && typeof stored.publicKey === "string") {
      return new ClientDeviceIdentity(stored.deviceId, stored.publicKey, stored.privateKeyPem, tokensFile);
    }
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const der = publicKey.export({ format: "der", type: "spki" });
    const raw = der.subarray(der.length - 32);
    const identity: DeviceIdentityFile = {
      version: 1,
      deviceId: createHash("sha256").update(raw).digest("hex"),
      publicKey: raw.toString("base64url"),
      privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      createdAtMs: Date.now(),
    };
    writePrivateFile(file, `${JSON.stringify(identity, null, 2)}\n`, 0o700);
    return new ClientDeviceIdentity(
      identity.deviceId,
      identity.publicKey,
      identity.privateKeyPem,
      tokensFile,
    );
  }

  /** The base64url Ed25519 signature of `payload`. */
  sign(payload: string): string {
    return sign(null, Buffer.from(payload, "utf8"), createPrivateKey(this.privateKeyPem)).toString(
      "base64url",
    );
  }

  private readTokens(): DeviceTokensFile {
    const stored = readJson(this.tokensFile) as DeviceTokensFile | null;
    // Tokens of another identity (the key was replaced) are worthless.
    if (!stored || stored.deviceId !== this.deviceId || typeof stored.gateways !== "object") {
      return { version: 1, deviceId: this.deviceId, gateways: {} };
    }
    return stored;
  }

  /** The device token `gatewayUrl` issued to this device for `role`, if any. */
  deviceToken(gatewayUrl: string, role: string): StoredDeviceToken | null {
    const tokens = this.readTokens().gateways;
    return Object.hasOwn(tokens, gatewayUrl) ? (tokens[gatewayUrl]?.[role] ?? null) : null;
  }

  saveDeviceToken(gatewayUrl: string, role: string, token: StoredDeviceToken): void {
    const stored = this.readTokens();
    const gateways = new Map(Object.entries(stored.gateways));
    gateways.set(gatewayUrl, { ...(gateways.get(gatewayUrl) ?? {}), [role]: token });
    stored.gateways = Object.fromEntries(gateways);
    writePrivateFile(this.tokensFile, `${JSON.stringify(stored, null, 2)}\n`, 0o700);
  }

  forgetDeviceToken(gatewayUrl: string, role: string): void {
    const stored = this.readTokens();
    const roles = Object.hasOwn(stored.gateways, gatewayUrl) ? stored.gateways[gatewayUrl] : undefined;
    if (!roles || !Object.hasOwn(roles, role)) return;
    delete roles[role];
    writePrivateFile(this.tokensFile, `${JSON.stringify(stored, null, 2)}\n`, 0o700);
  }
}
