/**
 * The token lives in sessionStorage (this tab, this gateway) and never in the address bar, a query
 * string or localStorage; a password is never stored.
 */
const storageKey = () => `coderclaw.controlUi.token:${location.host}`;

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(storageKey());
  } catch {
    return null;
  }
}

export function storeToken(token: string): void {
  try {
    sessionStorage.setItem(storageKey(), token);
  } catch {
    // Storage may be disabled; the token then lasts as long as the page.
  }
}

export function forgetStoredToken(): void {
  try {
    sessionStorage.removeItem(storageKey());
  } catch {
    // Nothing stored.
  }
}

/**
 * `coderclaw dashboard` hands the token over in the fragment (`#token=…`), which browsers never send
 * to the server. It moves into sessionStorage and the fragment leaves the address bar and history.
 */
export function takeTokenFromFragment(): string | null {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = fragment.get("token");
  if (token === null) return null;
  fragment.delete("token");
  const rest = fragment.toString();
  history.replaceState(history.state, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
  const trimmed = token.trim();
  if (trimmed) storeToken(trimmed);
  return trimmed || null;
}
