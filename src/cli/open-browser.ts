import { spawn } from "node:child_process";

/** Why no browser can be opened here, or null when one can. */
export function headlessReason(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string | null {
  if (env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY) return "this is an SSH session";
  if (platform === "linux" && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return "no display (DISPLAY/WAYLAND_DISPLAY unset)";
  return null;
}

function opener(url: string, platform: NodeJS.Platform): [string, string[]] {
  if (platform === "darwin") return ["open", [url]];
  if (platform === "win32") return ["cmd", ["/c", "start", '""', url]];
  return ["xdg-open", [url]];
}

/** Hands the URL to the desktop's opener, detached: the command does not wait for the browser. */
export function openBrowser(
  url: string,
  platform: NodeJS.Platform = process.platform,
): Promise<string | null> {
  const [command, args] = opener(url, platform);
  return new Promise((resolve) => {
    const child = spawn(command, args, { detached: true, stdio: "ignore" });
    child.once("error", (error) => resolve(`${command}: ${error.message}`));
    child.once("spawn", () => {
      child.unref();
      resolve(null);
    });
  });
}
