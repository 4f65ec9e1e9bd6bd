import { useState } from "preact/hooks";
import type { Notice, Secret } from "./connection/connection.machine.js";

/** "unauthorized: gateway token mismatch (hint)" → "gateway token mismatch": the form itself is the hint. */
function reasonOf(message: string): string {
  return message.replace(/^unauthorized: /, "").replace(/ \(.*\)$/, "");
}

function explain(notice: Notice | null): string | null {
  switch (notice?.kind) {
    case "auth-refused":
      return `The gateway refused the secret: ${reasonOf(notice.message)}. It has been forgotten; enter the current one below.`;
    case "rate-limited":
      return "Too many failed sign-ins from this address: the gateway locks it out for a while. Wait a minute, then sign in with the right token.";
    case "origin-refused":
      return `This page's origin (${location.origin}) may not connect: ${notice.message}. Open the Control UI from the gateway host (or through an SSH tunnel to it), or add this origin to gateway.controlUi.allowedOrigins.`;
    default:
      return null;
  }
}

export interface SignInProps {
  notice: Notice | null;
  refused: boolean;
  onSubmit(secret: Secret): void;
  onRetry(): void;
  onCancel?: () => void;
}

/** The one place to enter or replace the gateway token or password. */
export function SignIn({ notice, refused, onSubmit, onRetry, onCancel }: SignInProps) {
  const [kind, setKind] = useState<Secret["kind"]>("token");
  const [value, setValue] = useState("");
  const explanation = explain(notice);
  return (
    <section class="panel sign-in" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in to the gateway</h2>
      {explanation && (
        <p class="alert" role="alert" data-testid="sign-in-error">
          {explanation}
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const secret = value.trim();
          if (secret) onSubmit({ kind, value: secret });
          setValue("");
        }}
      >
        <fieldset class="inline">
          <legend>Secret</legend>
          <label>
            <input type="radio" name="kind" checked={kind === "token"} onChange={() => setKind("token")} />{" "}
            Token
          </label>
          <label>
            <input
              type="radio"
              name="kind"
              checked={kind === "password"}
              onChange={() => setKind("password")}
            />{" "}
            Password
          </label>
        </fieldset>
        <label class="field">
          <span>{kind === "token" ? "Gateway token" : "Gateway password"}</span>
          <input
            type="password"
            name="secret"
            autocomplete="off"
            value={value}
            onInput={(event) => setValue(event.currentTarget.value)}
            autoFocus
          />
        </label>
        <div class="actions">
          <button type="submit">Connect</button>
          {refused && (
            <button type="button" class="ghost" onClick={onRetry}>
              Retry
            </button>
          )}
          {onCancel && (
            <button type="button" class="ghost" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </form>
      <p class="hint">
        On the gateway host, <code>coderclaw config get gateway.auth.token</code> prints the token, and{" "}
        <code>coderclaw dashboard</code> opens this page already signed in. A password is whatever{" "}
        <code>gateway.auth.password</code> (or <code>CODERCLAW_GATEWAY_PASSWORD</code>) is set to. The token
        is kept for this tab only; a password is not kept.
      </p>
    </section>
  );
}
