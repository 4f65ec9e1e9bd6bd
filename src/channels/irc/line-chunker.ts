/** IRC's line limit: 512 bytes, CR LF included (RFC 1459 §2.3). */
export const IRC_LINE_BYTES = 512;
/** Room for our own `nick!user@host` as the server will prefix it: user (≤10) and host (≤63) unknown. */
const PREFIX_ALLOWANCE = 1 + 1 + 10 + 1 + 63;

/** The bytes a PRIVMSG to `target` may carry so the line the server relays stays within 512 bytes. */
export function privmsgTextBytes(nick: string, target: string): number {
  const framing =
    PREFIX_ALLOWANCE + Buffer.byteLength(nick) + " PRIVMSG ".length + Buffer.byteLength(target) + 2 + 2;
  return IRC_LINE_BYTES - framing;
}

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

/** Splits a word longer than the budget at code points. */
function splitWord(word: string, budget: number): string[] {
  const parts: string[] = [];
  let current = "";
  for (const char of word) {
    if (byteLength(current + char) > budget) {
      parts.push(current);
      current = "";
    }
    current += char;
  }
  if (current) parts.push(current);
  return parts;
}

/**
 * A reply as IRC lines: one per text line (IRC has no newlines), each split on word boundaries so no
 * line exceeds `budget` bytes; only a word longer than a whole line is cut.
 */
export function chunkIrcText(text: string, budget: number): string[] {
  const lines: string[] = [];
  for (const rawLine of text.split(/\r\n|\r|\n/)) {
    const words = rawLine.split(/\s+/).filter(Boolean);
    let current = "";
    for (const word of words) {
      const candidate = current ? `${current} ${word}` : word;
      if (byteLength(candidate) <= budget) {
        current = candidate;
        continue;
      }
      if (current) lines.push(current);
      if (byteLength(word) <= budget) {
        current = word;
      } else {
        const pieces = splitWord(word, budget);
        current = pieces.pop() ?? "";
        lines.push(...pieces);
      }
    }
    if (current) lines.push(current);
  }
  return lines;
}
