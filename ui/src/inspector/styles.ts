/** The inspector's styles, scoped under `.inspector`; colours are custom properties with a dark set. */
export const INSPECTOR_CSS = `
.inspector {
  --ins-bg: #ffffff;
  --ins-panel: #f6f7f9;
  --ins-fg: #1d2330;
  --ins-muted: #5d6677;
  --ins-border: #d5d9e0;
  --ins-accent: #0b63d1;
  --ins-accent-fg: #ffffff;
  --ins-active-bg: #dcebff;
  --ins-state-bg: #ffffff;
  --ins-compound-bg: #f1f3f7;
  --ins-edge: #7a8496;
  --ins-taken: #d2560b;
  --ins-ok: #1d8a4a;
  --ins-closed: #98a0ad;
  --ins-error: #c22a2a;
  --ins-row: 26px;
  color: var(--ins-fg);
  background: var(--ins-bg);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
  display: grid;
  grid-template-columns: minmax(240px, 340px) minmax(0, 1fr);
  grid-template-rows: auto minmax(0, 1fr);
  grid-template-areas: "bar bar" "tree main";
  gap: 8px;
  height: 100%;
  min-height: 0;
  box-sizing: border-box;
  padding: 8px;
}
@media (prefers-color-scheme: dark) {
  .inspector {
    --ins-bg: #14171d;
    --ins-panel: #1b1f27;
    --ins-fg: #e3e7ee;
    --ins-muted: #9aa3b2;
    --ins-border: #333a47;
    --ins-accent: #5aa2ff;
    --ins-accent-fg: #0b1220;
    --ins-active-bg: #1d3a63;
    --ins-state-bg: #1b1f27;
    --ins-compound-bg: #20252f;
    --ins-edge: #7d8799;
    --ins-taken: #ff9a4d;
    --ins-ok: #4cc38a;
    --ins-closed: #6b7383;
    --ins-error: #ff6b6b;
  }
}
.inspector *, .inspector *::before, .inspector *::after { box-sizing: border-box; }
.inspector :focus-visible { outline: 2px solid var(--ins-accent); outline-offset: 1px; }
.inspector button, .inspector select, .inspector input {
  font: inherit; color: inherit; background: var(--ins-panel);
  border: 1px solid var(--ins-border); border-radius: 6px; padding: 4px 8px; min-height: 30px;
}
.inspector button:hover { border-color: var(--ins-accent); }
.inspector button[aria-pressed="true"] { background: var(--ins-accent); color: var(--ins-accent-fg); border-color: var(--ins-accent); }
.inspector button:disabled { opacity: 0.5; }
.inspector .ins-bar { grid-area: bar; display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; }
.inspector .ins-bar label { display: inline-flex; gap: 6px; align-items: center; color: var(--ins-muted); }
.inspector .ins-count { color: var(--ins-muted); margin-left: auto; font-variant-numeric: tabular-nums; }
.inspector .ins-error { color: var(--ins-error); }
.inspector .ins-pane { border: 1px solid var(--ins-border); border-radius: 8px; background: var(--ins-panel); min-height: 0; min-width: 0; }
.inspector .ins-tree { grid-area: tree; display: flex; flex-direction: column; }
.inspector .ins-main { grid-area: main; display: grid; grid-template-rows: minmax(0, 3fr) minmax(0, 2fr); gap: 8px; min-height: 0; }
.inspector h2 { font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; color: var(--ins-muted); margin: 0; padding: 6px 10px; border-bottom: 1px solid var(--ins-border); display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.inspector h2 .ins-title-detail { text-transform: none; letter-spacing: 0; font-weight: 400; font-family: ui-monospace, Menlo, Consolas, monospace; color: var(--ins-fg); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.inspector .ins-scroll { overflow: auto; position: relative; flex: 1; min-height: 0; }
.inspector .ins-rows { position: relative; }
.inspector .ins-row { position: absolute; left: 0; right: 0; height: var(--ins-row); display: flex; align-items: center; gap: 6px; padding: 0 8px; white-space: nowrap; cursor: pointer; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.inspector .ins-row:hover { background: var(--ins-active-bg); }
.inspector .ins-row[aria-selected="true"] { background: var(--ins-accent); color: var(--ins-accent-fg); }
.inspector .ins-row[aria-selected="true"] .ins-state { color: inherit; }
.inspector .ins-twisty { width: 14px; text-align: center; flex: none; color: var(--ins-muted); }
.inspector .ins-row[aria-selected="true"] .ins-twisty { color: inherit; }
.inspector .ins-dot { width: 8px; height: 8px; border-radius: 50%; background: var(--ins-ok); flex: none; }
.inspector .ins-dot[data-status="done"], .inspector .ins-dot[data-status="stopped"] { background: var(--ins-closed); }
.inspector .ins-dot[data-status="error"] { background: var(--ins-error); }
.inspector .ins-dot[data-status="none"] { background: transparent; border: 1px solid var(--ins-muted); }
.inspector .ins-name { overflow: hidden; text-overflow: ellipsis; flex: 0 1 auto; min-width: 0; }
.inspector .ins-state { color: var(--ins-accent); margin-left: auto; padding-left: 8px; overflow: hidden; text-overflow: ellipsis; flex: 0 0 auto; max-width: 60%; }
.inspector .ins-closed .ins-name { text-decoration: line-through; opacity: 0.7; }
.inspector .ins-tree [role="tree"] { outline: none; }
.inspector .ins-tree [role="tree"]:focus-visible { box-shadow: inset 0 0 0 2px var(--ins-accent); }
.inspector .ins-diagram { display: flex; flex-direction: column; }
.inspector .ins-diagram .ins-scroll { background: var(--ins-bg); border-radius: 0 0 8px 8px; }
.inspector .ins-empty { color: var(--ins-muted); padding: 12px; }
.inspector svg.ins-chart { display: block; margin: 8px auto; font-family: ui-monospace, Menlo, Consolas, monospace; }
.inspector svg.ins-chart[data-fit="true"] { max-width: calc(100% - 16px); max-height: calc(100% - 16px); height: auto; }
.inspector .ins-chart .ins-s rect.ins-box { fill: var(--ins-state-bg); stroke: var(--ins-border); stroke-width: 1.2; }
.inspector .ins-chart .ins-s[data-compound="true"] > rect.ins-box { fill: var(--ins-compound-bg); }
.inspector .ins-chart .ins-s[data-active="true"] > rect.ins-box { stroke: var(--ins-accent); stroke-width: 2.5; }
.inspector .ins-chart .ins-s[data-active="true"][data-compound="false"] > rect.ins-box { fill: var(--ins-active-bg); }
.inspector .ins-chart .ins-s[data-region="true"] > rect.ins-box { stroke-dasharray: 6 4; }
.inspector .ins-chart .ins-s rect.ins-final { fill: none; stroke: var(--ins-border); }
.inspector .ins-chart .ins-s[data-active="true"] rect.ins-final { stroke: var(--ins-accent); }
.inspector .ins-chart text { fill: var(--ins-fg); font-size: 11px; }
.inspector .ins-chart text.ins-key { font-size: 12px; font-weight: 600; }
.inspector .ins-chart text.ins-line { fill: var(--ins-muted); }
.inspector .ins-chart .ins-initial { fill: var(--ins-fg); stroke: var(--ins-fg); }
.inspector .ins-chart .ins-e path { fill: none; stroke: var(--ins-edge); stroke-width: 1.3; }
.inspector .ins-chart .ins-e rect { fill: var(--ins-bg); opacity: 0.85; }
.inspector .ins-chart .ins-e text { fill: var(--ins-muted); }
.inspector .ins-chart .ins-e[data-taken="true"] path { stroke: var(--ins-taken); stroke-width: 2.2; }
.inspector .ins-chart .ins-e[data-taken="true"] text { fill: var(--ins-taken); font-weight: 600; }
.inspector .ins-chart marker path { fill: var(--ins-edge); stroke: none; }
.inspector .ins-chart marker#ins-arrow-taken path { fill: var(--ins-taken); }
.inspector .ins-log { display: flex; flex-direction: column; }
.inspector .ins-log-controls { display: flex; gap: 6px; flex-wrap: wrap; margin-left: auto; text-transform: none; letter-spacing: 0; font-weight: 400; }
.inspector .ins-log .ins-row { cursor: pointer; gap: 10px; }
.inspector .ins-log .ins-time { color: var(--ins-muted); flex: none; }
.inspector .ins-log .ins-row[aria-selected="true"] .ins-time { color: inherit; }
.inspector .ins-log .ins-event { flex: none; max-width: 45%; overflow: hidden; text-overflow: ellipsis; }
.inspector .ins-log .ins-move { overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.inspector .ins-visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 720px) {
  .inspector {
    grid-template-columns: minmax(0, 1fr);
    grid-template-rows: auto 38vh auto auto;
    grid-template-areas: "bar" "tree" "main";
    height: auto;
  }
  .inspector .ins-main { grid-template-rows: auto auto; }
  .inspector .ins-diagram .ins-scroll { max-height: 60vh; }
  .inspector .ins-log .ins-scroll { height: 40vh; flex: none; }
  .inspector .ins-count { margin-left: 0; }
}
`;
