import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { GatewayConnection, ConnectionSnapshot } from "./connection/gateway-connection.js";
import { InspectorView } from "./inspector/index.js";
import { SignIn } from "./sign-in.js";
import { StatusBar } from "./status-bar.js";
import { applyTheme, nextTheme, storedTheme, type ThemeChoice } from "./theme.js";
import { ChatView } from "./views/chat.js";
import { ConfigView } from "./views/config.js";
import { LogsView } from "./views/logs.js";
import { OverviewView } from "./views/overview.js";
import { SessionsView } from "./views/sessions.js";

const TABS = [
  { path: "", label: "Overview" },
  { path: "chat", label: "Chat" },
  { path: "sessions", label: "Sessions" },
  { path: "logs", label: "Logs" },
  { path: "config", label: "Config" },
  { path: "inspector", label: "Inspector" },
] as const;

type TabPath = (typeof TABS)[number]["path"];

function tabOf(basePath: string): TabPath {
  const rest = location.pathname.slice(basePath.length).replace(/^\/+|\/+$/g, "");
  return TABS.find((tab) => tab.path === rest)?.path ?? "";
}

function useConnectionSnapshot(connection: GatewayConnection): ConnectionSnapshot {
  const [snapshot, setSnapshot] = useState(() => connection.actor.getSnapshot());
  useEffect(() => {
    const subscription = connection.actor.subscribe(setSnapshot);
    setSnapshot(connection.actor.getSnapshot());
    return () => subscription.unsubscribe();
  }, [connection]);
  return snapshot;
}

export function App({ connection, basePath }: { connection: GatewayConnection; basePath: string }) {
  const snapshot = useConnectionSnapshot(connection);
  const [tab, setTab] = useState<TabPath>(() => tabOf(basePath));
  const [theme, setTheme] = useState<ThemeChoice>(storedTheme);
  const [signInOpen, setSignInOpen] = useState(false);
  const everConnected = useRef(false);
  const connected = snapshot.matches("connected");
  if (connected) everConnected.current = true;
  const needsSecret = snapshot.matches("signed-out") || snapshot.matches("refused");

  useEffect(() => {
    const onPop = () => setTab(tabOf(basePath));
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, [basePath]);
  useEffect(() => {
    if (connected) setSignInOpen(false);
  }, [connected]);

  const navigate = (path: TabPath) => (event: MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    history.pushState(null, "", `${basePath}/${path}`);
    setTab(path);
  };

  const view = useMemo(() => {
    switch (tab) {
      case "chat":
        return <ChatView gateway={connection} />;
      case "sessions":
        return <SessionsView gateway={connection} />;
      case "logs":
        return <LogsView gateway={connection} />;
      case "config":
        return <ConfigView gateway={connection} />;
      case "inspector":
        return <InspectorView gateway={connection} />;
      default:
        return <OverviewView gateway={connection} hello={() => connection.hello} />;
    }
  }, [tab, connection]);

  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href={`${basePath}/`} onClick={navigate("")}>
          CoderClaw <span>Control</span>
        </a>
        <StatusBar snapshot={snapshot} />
        <div class="topbar-actions">
          <button
            type="button"
            class="ghost"
            aria-expanded={signInOpen || needsSecret}
            onClick={() => setSignInOpen(!signInOpen)}
          >
            {snapshot.context.secret ? "Change token" : "Sign in"}
          </button>
          <button
            type="button"
            class="ghost"
            title="Theme: system, dark or light"
            onClick={() => {
              const next = nextTheme(theme);
              applyTheme(next);
              setTheme(next);
            }}
          >
            Theme: {theme}
          </button>
        </div>
      </header>
      {(needsSecret || signInOpen) && (
        <SignIn
          notice={snapshot.context.notice}
          refused={snapshot.matches("refused")}
          onSubmit={(secret) => connection.actor.send({ type: "SIGN_IN", secret })}
          onRetry={() => connection.actor.send({ type: "RETRY" })}
          onCancel={needsSecret ? undefined : () => setSignInOpen(false)}
        />
      )}
      {everConnected.current ? (
        <div class="workspace">
          <nav class="tabs" aria-label="Views">
            {TABS.map((entry) => (
              <a
                key={entry.path}
                href={`${basePath}/${entry.path}`}
                aria-current={tab === entry.path ? "page" : undefined}
                onClick={navigate(entry.path)}
              >
                {entry.label}
              </a>
            ))}
          </nav>
          <main class="view" id="main" data-offline={connected ? undefined : ""}>
            {view}
          </main>
        </div>
      ) : (
        !needsSecret && <p class="placeholder">Connecting to the gateway…</p>
      )}
    </div>
  );
}
