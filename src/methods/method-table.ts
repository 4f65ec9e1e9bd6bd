import { agentMethod, agentWaitMethod } from "./agent.js";
import { agentsListMethod, modelsListMethod } from "./agents.js";
import { channelsLogoutMethod, channelsStatusMethod } from "./channels.js";
import { chatAbortMethod, chatHistoryMethod, chatSendMethod } from "./chat.js";
import {
  configApplyMethod,
  configGetMethod,
  configPatchMethod,
  configReloadMethod,
  configSchemaLookupMethod,
  configSchemaMethod,
  configSetMethod,
  restartRequestMethod,
} from "./config.js";
import { deviceMethods } from "./devices.js";
import { healthMethod } from "./health.js";
import { lastHeartbeatMethod, setHeartbeatsMethod } from "./heartbeat.js";
import { inspectMachinesMethod, inspectSnapshotMethod } from "./inspect.js";
import { logsTailMethod } from "./logs.js";
import type { MethodSpec } from "./method-spec.js";
import { pairingApproveMethod, pairingListMethod, pairingRejectMethod } from "./pairing.js";
import { systemEventMethod, systemPresenceMethod } from "./presence.js";
import {
  sessionsDeleteMethod,
  sessionsListMethod,
  sessionsPreviewMethod,
  sessionsResetMethod,
} from "./sessions.js";
import { statusMethod } from "./status.js";

/** Everything the gateway offers over RPC; hello-ok `features.methods` and the docs come from here. */
export const coreMethods: readonly MethodSpec[] = [
  healthMethod,
  statusMethod,
  systemPresenceMethod,
  systemEventMethod,
  lastHeartbeatMethod,
  setHeartbeatsMethod,
  logsTailMethod,
  channelsStatusMethod,
  channelsLogoutMethod,
  pairingListMethod,
  pairingApproveMethod,
  pairingRejectMethod,
  ...deviceMethods,
  configGetMethod,
  configSchemaMethod,
  configSchemaLookupMethod,
  configSetMethod,
  configPatchMethod,
  configApplyMethod,
  configReloadMethod,
  restartRequestMethod,
  inspectSnapshotMethod,
  inspectMachinesMethod,
  agentMethod,
  agentWaitMethod,
  chatSendMethod,
  chatHistoryMethod,
  chatAbortMethod,
  sessionsListMethod,
  sessionsPreviewMethod,
  sessionsResetMethod,
  sessionsDeleteMethod,
  agentsListMethod,
  modelsListMethod,
] as unknown as MethodSpec[];
