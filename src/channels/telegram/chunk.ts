/**
 * Telegram's sendMessage takes at most 4096 characters, counted in UTF-16 code units (as JavaScript
 * string lengths are). Replies go out as plain text (no parse_mode), so no split can break formatting;
 * splits prefer a paragraph break, then a line break, then a space, and never cut a surrogate pair.
 * Each separator stays at the end of its chunk, so the chunks concatenate back to the reply exactly.
 */
export const TELEGRAM_TEXT_LIMIT = 4096;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** Where to end a chunk of `text` that must be at most `limit` long (an index in (0, limit]). */
function cutIndex(text: string, limit: number): number {
  const window = text.slice(0, limit);
  // A boundary in the first half of the window would make needlessly small chunks.
  const floor = Math.floor(limit / 2);
  for (const separator of [/\n\s*\n/g, /\n/g, /\s/g]) {
    let last = -1;
    for (const match of window.matchAll(separator)) {
      const end = (match.index ?? 0) + match[0].length;
      if (end <= limit) last = end;
    }
    if (last > floor) return last;
  }
  return isHighSurrogate(text.charCodeAt(limit - 1)) ? limit - 1 : limit;
}

export function chunkTelegramText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const size = Math.max(2, Math.min(limit, TELEGRAM_TEXT_LIMIT));
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > size) {
    const cut = cutIndex(rest, size);
    chunks.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0) chunks.push(rest);
  // Telegram refuses an empty or blank message; blank runs carry nothing a reader would see.
  return chunks.filter((chunk) => chunk.trim() !== "");
}
