import { useCallback, useState } from "preact/hooks";
import type { GatewayPort } from "../gateway-port.js";
import { errorText, formatTime, useGatewayRead } from "../hooks.js";

interface SessionSummary {
  key: string;
  sessionId: string;
  agentId: string;
  updatedAt: number;
  messageCount: number;
  lastMessage: { role: string; text: string; ts: number } | null;
}

interface Preview {
  key: string;
  items: Array<{ role: string; text: string; ts: number }>;
}

export function SessionsView({ gateway }: { gateway: GatewayPort }) {
  const read = useCallback(
    () => gateway.request<{ sessions: SessionSummary[] }>("sessions.list", { limit: 500 }),
    [gateway],
  );
  const list = useGatewayRead(gateway, read);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const showPreview = (key: string) =>
    gateway
      .request<{ previews: Preview[] }>("sessions.preview", { keys: [key], limit: 10 })
      .then((result) => setPreview(result.previews[0] ?? null))
      .catch((error) => setMessage(errorText(error)));
  const act = (method: "sessions.reset" | "sessions.delete", key: string) => {
    const verb = method === "sessions.reset" ? "Reset" : "Delete";
    if (!confirm(`${verb} session ${key}?`)) return;
    gateway
      .request(method, { key })
      .then(() => {
        setMessage(`${verb === "Reset" ? "Reset" : "Deleted"} ${key}.`);
        if (preview?.key === key) setPreview(null);
        list.reload();
      })
      .catch((error) => setMessage(errorText(error)));
  };

  return (
    <div class="split">
      <section class="card" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions</h2>
        {list.error && <p class="alert">{list.error}</p>}
        {message && (
          <p class="note" role="status">
            {message}
          </p>
        )}
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col" class="hide-narrow">
                  Agent
                </th>
                <th scope="col">Messages</th>
                <th scope="col" class="hide-narrow">
                  Updated
                </th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data?.sessions.map((session) => (
                <tr key={session.key} aria-selected={preview?.key === session.key}>
                  <td>
                    <button type="button" class="link" onClick={() => showPreview(session.key)}>
                      {session.key}
                    </button>
                  </td>
                  <td class="hide-narrow">{session.agentId}</td>
                  <td>{session.messageCount}</td>
                  <td class="hide-narrow">{formatTime(session.updatedAt)}</td>
                  <td class="row-actions">
                    <button type="button" class="ghost" onClick={() => act("sessions.reset", session.key)}>
                      Reset
                    </button>
                    <button type="button" class="danger" onClick={() => act("sessions.delete", session.key)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {list.data?.sessions.length === 0 && <p class="muted">No sessions yet.</p>}
      </section>
      <section class="card" aria-labelledby="preview-title">
        <h2 id="preview-title">Preview</h2>
        {preview ? (
          <>
            <p class="mono">{preview.key}</p>
            <ol class="messages">
              {preview.items.map((item, index) => (
                <li key={index} class={`message message-${item.role}`}>
                  <div class="message-meta">
                    {item.role} · {formatTime(item.ts)}
                  </div>
                  <div class="message-text">{item.text}</div>
                </li>
              ))}
              {preview.items.length === 0 && <li class="muted">Empty transcript.</li>}
            </ol>
          </>
        ) : (
          <p class="muted">Choose a session to see its last messages.</p>
        )}
      </section>
    </div>
  );
}
