import { render } from "preact";
import { App } from "./app.js";
import { GatewayConnection } from "./connection/gateway-connection.js";
import { storedToken, takeTokenFromFragment } from "./connection/secret-storage.js";
import { applyTheme, storedTheme } from "./theme.js";
import "./styles.css";

const basePath = document.querySelector<HTMLMetaElement>('meta[name="coderclaw-base-path"]')?.content ?? "";
const token = takeTokenFromFragment() ?? storedToken();
const scheme = location.protocol === "https:" ? "wss:" : "ws:";
const connection = new GatewayConnection(
  `${scheme}//${location.host}${basePath}/`,
  token ? { kind: "token", value: token } : null,
);
applyTheme(storedTheme());
connection.start();
render(<App connection={connection} basePath={basePath} />, document.getElementById("app")!);
