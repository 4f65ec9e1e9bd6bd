import GatewayRun from "./run.js";

export default class Gateway extends GatewayRun {
  static override summary = "Run the gateway in the foreground (same as `gateway run`).";
}
