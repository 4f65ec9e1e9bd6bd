import Gateway from "./commands/gateway/index.js";
import GatewayHotReload from "./commands/gateway/hot-reload.js";
import GatewayInspect from "./commands/gateway/inspect.js";
import GatewayRun from "./commands/gateway/run.js";
import SessionsList from "./commands/sessions/list.js";
import SessionsShow from "./commands/sessions/show.js";
import ChannelsList from "./commands/channels/list.js";
import PairingApprove from "./commands/pairing/approve.js";
import PairingList from "./commands/pairing/list.js";
import PairingReject from "./commands/pairing/reject.js";
import DevicesApprove from "./commands/devices/approve.js";
import DevicesClear from "./commands/devices/clear.js";
import DevicesList from "./commands/devices/list.js";
import DevicesReject from "./commands/devices/reject.js";
import DevicesRemove from "./commands/devices/remove.js";
import DevicesRevoke from "./commands/devices/revoke.js";
import DevicesRotate from "./commands/devices/rotate.js";
import ChannelsStatus from "./commands/channels/status.js";
import ConfigGet from "./commands/config/get.js";
import ConfigSet from "./commands/config/set.js";
import GatewayCall from "./commands/gateway/call.js";
import GatewayHealth from "./commands/gateway/health.js";
import GatewayProbe from "./commands/gateway/probe.js";
import Health from "./commands/health.js";
import Logs from "./commands/logs.js";
import Setup from "./commands/setup.js";
import GatewayInstall from "./commands/gateway/install.js";
import GatewayRestart from "./commands/gateway/restart.js";
import GatewayStart from "./commands/gateway/start.js";
import GatewayStatus from "./commands/gateway/status.js";
import GatewayStop from "./commands/gateway/stop.js";
import GatewayUninstall from "./commands/gateway/uninstall.js";
import Status from "./commands/status.js";
import Doctor from "./commands/doctor.js";
import Agent from "./commands/agent.js";
import Chat from "./commands/chat.js";
import Dashboard from "./commands/dashboard.js";
import Help from "./commands/help.js";

/** oclif's explicit command map: `gateway run` is `gateway:run` here. */
export const commands = {
  dashboard: Dashboard,
  doctor: Doctor,
  gateway: Gateway,
  "gateway:run": GatewayRun,
  "gateway:inspect": GatewayInspect,
  "gateway:hot-reload": GatewayHotReload,
  "sessions:list": SessionsList,
  "sessions:show": SessionsShow,
  "gateway:call": GatewayCall,
  "gateway:health": GatewayHealth,
  "gateway:probe": GatewayProbe,
  health: Health,
  logs: Logs,
  "channels:status": ChannelsStatus,
  "channels:list": ChannelsList,
  "pairing:list": PairingList,
  "pairing:approve": PairingApprove,
  "pairing:reject": PairingReject,
  "devices:list": DevicesList,
  "devices:approve": DevicesApprove,
  "devices:reject": DevicesReject,
  "devices:remove": DevicesRemove,
  "devices:clear": DevicesClear,
  "devices:rotate": DevicesRotate,
  "devices:revoke": DevicesRevoke,
  setup: Setup,
  "config:get": ConfigGet,
  "config:set": ConfigSet,
  "gateway:install": GatewayInstall,
  "gateway:uninstall": GatewayUninstall,
  "gateway:start": GatewayStart,
  "gateway:stop": GatewayStop,
  "gateway:restart": GatewayRestart,
  "gateway:status": GatewayStatus,
  status: Status,
  agent: Agent,
  chat: Chat,
  help: Help,
};
