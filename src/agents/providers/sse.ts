/**
 * Incremental text/event-stream parser: feed decoded text split anywhere, get the `data` of each
 * complete event (multi-line data joined with "\n"). Comments, `event:`, `id:` and `retry:` are ignored.
 */
export class SseDecoder {
  private buffer = "";
  private dataLines: string[] = [];

  /** Data of the events completed by `text`. */
  push(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    const terminator = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = terminator.exec(this.buffer); match; match = terminator.exec(this.buffer)) {
      // A trailing "\r" may be the first half of a "\r\n" split across chunks: wait for more.
      if (match[0] === "\r" && match.index + 1 === this.buffer.length) break;
      this.line(this.buffer.slice(start, match.index), events);
      start = match.index + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** Data of a final event the stream ended without a blank line for, if any. */
  end(): string[] {
    const events: string[] = [];
    if (this.buffer !== "") this.line(this.buffer.replace(/\r$/, ""), events);
    this.buffer = "";
    this.line("", events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === "") {
      if (this.dataLines.length > 0) events.push(this.dataLines.join("\n"));
      this.dataLines = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== "data") return;
    const value = colon < 0 ? "" : line.slice(colon + 1);
    this.dataLines.push(value.startsWith(" ") ? value.slice(1) : value);
  }
}
