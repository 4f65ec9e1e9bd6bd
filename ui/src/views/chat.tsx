import { memo } from "preact/compat";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { GatewayPort } from "../gateway-port.js";
import { errorText, formatTime, useGatewayEvent, useGatewayRead } from "../hooks.js";
import {
  applyChatEvent,
  fromHistory,
  type ChatEvent,
  type HistoryMessage,
  type TranscriptMessage,
} from "./transcript.js";

interface SessionSummary {
  key: string;
  updatedAt: number;
  messageCount: number;
}

/** Only the newest messages are in the page at first; the browser skips painting off-screen ones. */
const WINDOW = 200;

const Message = memo(function Message({ message }: { message: TranscriptMessage }) {
  return (
    <li
      class={`message message-${message.role} message-${message.state}`}
      data-testid={`message-${message.role}`}
    >
      <div class="message-meta">
        {message.role === "user" ? "You" : "Assistant"} · {formatTime(message.ts)}
        {message.state !== "final" && <span class="badge">{message.state}</span>}
      </div>
      <div class="message-text">{message.text}</div>
      {message.note && <div class="message-note">{message.note}</div>}
    </li>
  );
});

export function ChatView({ gateway }: { gateway: GatewayPort }) {
  const [sessionKey, setSessionKey] = useState<string | null>(null);
  const [messages, setMessages] = useState<TranscriptMessage[]>([]);
  const [shown, setShown] = useState(WINDOW);
  const [draft, setDraft] = useState("");
  const [sendError, setSendError] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);

  const readSessions = useCallback(async () => {
    const [list, agents] = await Promise.all([
      gateway.request<{ sessions: SessionSummary[] }>("sessions.list", { limit: 200 }),
      gateway.request<{ defaultId: string; mainKey: string }>("agents.list"),
    ]);
    return { sessions: list.sessions, mainSessionKey: `agent:${agents.defaultId}:${agents.mainKey}` };
  }, [gateway]);
  const sessions = useGatewayRead(gateway, readSessions);
  const activeKey = sessionKey ?? sessions.data?.mainSessionKey ?? null;

  const readHistory = useCallback(async () => {
    if (!activeKey) return [];
    const history = await gateway.request<{ messages: HistoryMessage[] }>("chat.history", {
      sessionKey: activeKey,
      limit: 1000,
    });
    return fromHistory(history.messages);
  }, [gateway, activeKey]);
  const history = useGatewayRead(gateway, readHistory);
  // A fresh read replaces what the page showed: a final event may have been lost while disconnected,
  // and a reply still streaming comes back with its next delta (which carries the whole text so far).
  useEffect(() => {
    if (history.data) setMessages(history.data);
  }, [history.data]);
  useEffect(() => {
    setMessages([]);
    setShown(WINDOW);
    stickToBottom.current = true;
  }, [activeKey]);

  useGatewayEvent(gateway, "chat", (payload) => {
    const event = payload as ChatEvent;
    if (event.sessionKey !== activeKey) return;
    setMessages((previous) => applyChatEvent(previous, event));
    if (event.state !== "delta" && !event.runId.startsWith("user-")) sessions.reload();
  });

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && stickToBottom.current) element.scrollTop = element.scrollHeight;
  }, [messages]);

  const streaming = messages.some((message) => message.state === "streaming");
  const send = async (event: Event) => {
    event.preventDefault();
    const text = draft.trim();
    if (!text || !activeKey) return;
    setSendError(null);
    stickToBottom.current = true;
    try {
      await gateway.request("chat.send", {
        sessionKey: activeKey,
        message: text,
        idempotencyKey: crypto.randomUUID(),
      });
      setDraft("");
    } catch (error) {
      setSendError(errorText(error));
    }
  };
  const abort = () => {
    if (activeKey)
      gateway
        .request("chat.abort", { sessionKey: activeKey })
        .catch((error) => setSendError(errorText(error)));
  };
  const newSession = () => {
    const agent = /^agent:([^:]+):/.exec(sessions.data?.mainSessionKey ?? "")?.[1] ?? "main";
    setSessionKey(`agent:${agent}:webchat-${crypto.randomUUID().slice(0, 8)}`);
  };

  const visible = messages.length > shown ? messages.slice(messages.length - shown) : messages;
  const keys = new Set(sessions.data?.sessions.map((session) => session.key));
  return (
    <div class="chat">
      <aside class="chat-sessions" aria-label="Sessions">
        <button type="button" onClick={newSession}>
          New session
        </button>
        <ul class="list selectable">
          {activeKey && !keys.has(activeKey) && (
            <li>
              <button type="button" aria-current="true" class="session-button">
                {activeKey} <span class="muted">(new)</span>
              </button>
            </li>
          )}
          {sessions.data?.sessions.map((session) => (
            <li key={session.key}>
              <button
                type="button"
                class="session-button"
                aria-current={session.key === activeKey ? "true" : undefined}
                onClick={() => setSessionKey(session.key)}
              >
                {session.key} <span class="muted">{session.messageCount} msgs</span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section class="chat-main" aria-label="Transcript">
        <div
          class="transcript"
          ref={scroller}
          tabIndex={0}
          onScroll={(event) => {
            const element = event.currentTarget;
            stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
          }}
        >
          {messages.length > shown && (
            <button type="button" class="ghost" onClick={() => setShown(shown + WINDOW)}>
              Show {Math.min(WINDOW, messages.length - shown)} earlier messages
            </button>
          )}
          {history.error && <p class="alert">{history.error}</p>}
          <ol class="messages" data-testid="transcript">
            {visible.map((message) => (
              <Message key={message.key} message={message} />
            ))}
          </ol>
          {messages.length === 0 && !history.loading && <p class="muted">No messages yet.</p>}
        </div>
        <form class="composer" onSubmit={send}>
          <label class="sr-only" for="chat-input">
            Message
          </label>
          <textarea
            id="chat-input"
            rows={2}
            value={draft}
            placeholder="Message (Enter sends, Shift+Enter for a new line)"
            onInput={(event) => setDraft(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter" && !event.shiftKey) void send(event);
            }}
          />
          <button type="submit" disabled={!draft.trim()}>
            Send
          </button>
          <button type="button" class="danger" disabled={!streaming} onClick={abort}>
            Abort
          </button>
        </form>
        {sendError && <p class="alert">{sendError}</p>}
      </section>
    </div>
  );
}
