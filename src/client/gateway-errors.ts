import { cliCommand } from "../config/paths.js";
import { redactUrl } from "../config/redact.js";
import { describeCloseCode, type ErrorShape } from "../protocol/index.js";

/** A failed request: the gateway's error shape, as an Error. */
export class GatewayRequestError extends Error {
  constructor(readonly shape: ErrorShape) {
    super(shape.message);
  }
  get code(): string {
    return this.shape.code;
  }
}

/** Nothing accepted the TCP connection: no gateway (or anything else) listens at that address. */
export class GatewayUnreachableError extends Error {
  constructor(
    readonly url: string,
    details: string,
  ) {
    super(
      [
        `nothing is listening on ${redactUrl(url)}`,
        `Start a gateway with: ${cliCommand("gateway")}`,
        `Find where one runs with: ${cliCommand("gateway status")}`,
      ].join("\n") + details,
    );
  }
}

export class GatewayClosedError extends Error {
  constructor(
    readonly closeCode: number,
    readonly closeReason: string,
    details: string,
  ) {
    const hint = describeCloseCode(closeCode);
    super(
      `gateway closed (${closeCode}${hint ? ` ${hint}` : ""}): ${closeReason || "no close reason"}${details}`,
    );
  }
}
