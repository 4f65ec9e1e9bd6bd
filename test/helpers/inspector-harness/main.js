/* global window, document, WebSocket, location, history, PerformanceObserver, requestAnimationFrame, setTimeout, URLSearchParams */
// A development page for the inspector view alone: a minimal GatewayPort over a browser WebSocket,
// pointed at the gateway named in `?gw=`, with the token from the URL fragment (`#token=`).
import { h, render } from "preact";
import { InspectorView } from "../../../ui/src/inspector/index.tsx";

function setStatus(text) {
  const element = document.getElementById("status");
  element.textContent = text;
  element.dataset.status = text.split(":")[0];
}

function connectGateway(url, token) {
  const handlers = new Map();
  const connectedHandlers = new Set();
  const pending = new Map();
  let socket = null;
  let ready = false;
  let nextId = 0;

  const open = () => {
    socket = new WebSocket(url);
    socket.onmessage = (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "event" && frame.event === "connect.challenge") {
        socket.send(
          JSON.stringify({
            type: "req",
            id: "connect",
            method: "connect",
            params: {
              minProtocol: 3,
              maxProtocol: 3,
              client: { id: "coderclaw-control-ui", version: "dev", platform: "web", mode: "webchat" },
              role: "operator",
              scopes: ["operator.admin"],
              caps: ["inspect"],
              auth: { token },
            },
          }),
        );
      } else if (frame.type === "res" && frame.id === "connect") {
        if (!frame.ok) return setStatus(`refused: ${frame.error.message}`);
        ready = true;
        setStatus("connected");
        connectedHandlers.forEach((handler) => handler());
      } else if (frame.type === "res") {
        const waiter = pending.get(frame.id);
        if (!waiter) return;
        pending.delete(frame.id);
        if (frame.ok) waiter.resolve(frame.payload);
        else waiter.reject(Object.assign(new Error(frame.error.message), { code: frame.error.code }));
      } else if (frame.type === "event") {
        (handlers.get(frame.event) ?? []).forEach((handler) => handler(frame.payload));
      }
    };
    socket.onclose = (event) => {
      ready = false;
      setStatus(`closed: ${event.code}`);
      pending.forEach((waiter) => waiter.reject(new Error("connection closed")));
      pending.clear();
      setTimeout(open, 800);
    };
  };
  open();

  return {
    request(method, params) {
      if (!ready) return Promise.reject(new Error("not connected"));
      const id = `r${++nextId}`;
      socket.send(JSON.stringify({ type: "req", id, method, params: params ?? {} }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    on(event, handler) {
      const list = handlers.get(event) ?? [];
      list.push(handler);
      handlers.set(event, list);
      return () =>
        handlers.set(
          event,
          (handlers.get(event) ?? []).filter((other) => other !== handler),
        );
    },
    onResync(handler) {
      connectedHandlers.add(handler);
      return () => connectedHandlers.delete(handler);
    },
  };
}

// Frame timing, read by the browser test: rAF deltas and long tasks while recording.
const timing = { recording: false, deltas: [], longTasks: [], last: 0 };
const tick = (now) => {
  if (timing.recording && timing.last > 0) timing.deltas.push(now - timing.last);
  timing.last = now;
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
new PerformanceObserver((list) => {
  if (timing.recording) for (const entry of list.getEntries()) timing.longTasks.push(entry.duration);
}).observe({ entryTypes: ["longtask"] });
window.inspectorTiming = {
  start() {
    timing.deltas = [];
    timing.longTasks = [];
    timing.recording = true;
  },
  stop() {
    timing.recording = false;
    return { deltas: timing.deltas, longTasks: timing.longTasks };
  },
};

const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? "";
history.replaceState(null, "", location.pathname + location.search);
const gatewayUrl = new URLSearchParams(location.search).get("gw");
render(h(InspectorView, { gateway: connectGateway(gatewayUrl, token) }), document.getElementById("app"));
