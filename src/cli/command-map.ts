import Gateway from "./commands/gateway/index.js";
import GatewayHotReload from "./commands/gateway/hot-reload.js";
import GatewayInspect from "./commands/gateway/inspect.js";
import GatewayRun from "./commands/gateway/run.js";
import SessionsList from "./commands/sessions/list.js";
import SessionsShow from "./commands/sessions/show.js";

/** oclif's explicit command map: `gateway run` is `gateway:run` here. */
export const commands = {
  gateway: Gateway,
  "gateway:run": GatewayRun,
  "gateway:inspect": GatewayInspect,
  "gateway:hot-reload": GatewayHotReload,
  "sessions:list": SessionsList,
  "sessions:show": SessionsShow,
};
