import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { GatewayPort } from "../gateway-port.js";
import { errorText } from "../hooks.js";
import { LOG_LEVELS, parseLogLine, type LogEntry } from "./log-entry.js";

interface Tail {
  cursor: number;
  lines: string[];
  reset: boolean;
  truncated: boolean;
}

const POLL_MS = 1000;
const KEEP = 2000;
/** Rows in the page at once; the rest stay in memory until the filter or scroll asks for them. */
const RENDERED = 500;

const severity = (level: string) => {
  const index = (LOG_LEVELS as readonly string[]).indexOf(level);
  return index === -1 ? 2 : index;
};

/** Follows the log file through `logs.tail` cursors; the file outlives gateway restarts, so does the view. */
export function LogsView({ gateway }: { gateway: GatewayPort }) {
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [level, setLevel] = useState<string>("debug");
  const [search, setSearch] = useState("");
  const [paused, setPaused] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const cursor = useRef<number | undefined>(undefined);
  const scroller = useRef<HTMLDivElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    if (paused) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const tail = await gateway.request<Tail>("logs.tail", {
          ...(cursor.current === undefined ? { limit: 500 } : { cursor: cursor.current }),
        });
        if (stopped) return;
        setProblem(null);
        const fresh = tail.lines.map(parseLogLine);
        if (tail.reset && cursor.current !== undefined) {
          fresh.unshift({ level: "info", time: "", subsystem: "", message: "(log file rotated)", raw: "" });
        }
        cursor.current = tail.cursor;
        if (fresh.length > 0) setEntries((previous) => [...previous, ...fresh].slice(-KEEP));
      } catch (error) {
        if (!stopped) setProblem(errorText(error));
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    const off = gateway.onResync(() => {
      clearTimeout(timer);
      void poll();
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      off();
    };
  }, [gateway, paused]);

  const needle = search.trim().toLowerCase();
  const limit = severity(level);
  const shown = entries
    .filter((entry) => severity(entry.level) <= limit)
    .filter(
      (entry) =>
        !needle || entry.raw.toLowerCase().includes(needle) || entry.message.toLowerCase().includes(needle),
    )
    .slice(-RENDERED);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && follow.current) element.scrollTop = element.scrollHeight;
  }, [shown.length, entries]);

  return (
    <section class="card logs" aria-labelledby="logs-title">
      <div class="toolbar">
        <h2 id="logs-title">Logs</h2>
        <label>
          Level{" "}
          <select value={level} onChange={(event) => setLevel(event.currentTarget.value)}>
            {LOG_LEVELS.map((name) => (
              <option key={name} value={name}>
                {name} and above
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="sr-only">Search</span>
          <input
            type="search"
            placeholder="Search"
            value={search}
            onInput={(event) => setSearch(event.currentTarget.value)}
          />
        </label>
        <button type="button" class="ghost" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" class="ghost" onClick={() => setEntries([])}>
          Clear
        </button>
      </div>
      {problem && <p class="alert">{problem}</p>}
      <div
        class="log-lines"
        ref={scroller}
        tabIndex={0}
        data-testid="log-lines"
        onScroll={(event) => {
          const element = event.currentTarget;
          follow.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
        }}
      >
        {shown.map((entry, index) => (
          <div class="log-line" key={index}>
            <span class="log-time">{entry.time}</span>
            <span class={`level level-${entry.level}`}>{entry.level}</span>
            {entry.subsystem && <span class="log-subsystem">[{entry.subsystem}]</span>}
            <span class="log-message">{entry.message}</span>
          </div>
        ))}
        {shown.length === 0 && <p class="muted">No lines match.</p>}
      </div>
      <p class="muted small">
        {paused ? "Paused. " : "Following the gateway log file. "}
        Showing {shown.length} of {entries.length} lines kept.
      </p>
    </section>
  );
}
