/** A transient status line on stderr, shown only on a TTY; `done()` erases it. */
export function showProgress(text: string, enabled = true): { done(): void } {
  const stream = process.stderr;
  if (!enabled || !stream.isTTY) return { done: () => undefined };
  stream.write(text);
  let cleared = false;
  return {
    done() {
      if (cleared) return;
      cleared = true;
      stream.write("\r\x1b[2K");
    },
  };
}
