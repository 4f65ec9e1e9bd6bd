import fs from "node:fs";
import path from "node:path";

/**
 * A stand-in `systemctl --user` (and `loginctl`) on PATH, for machines without a user manager: it
 * keeps enabled/started state in `stateDir`, starts a unit by running its ExecStart with exactly
 * its Environment= lines, and reports ActiveState from whether that process is alive. Enough to drive
 * install → ready → restart → stop → uninstall through the real CLI. Values must not need quoting.
 */
export function installFakeSystemctl(binDir: string, stateDir: string): void {
  fs.mkdirSync(binDir, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const systemctl = `#!/usr/bin/env bash
state=${JSON.stringify(stateDir)}
[ "$1" = "--user" ] && shift
verb="$1"; shift
unit_dir="\${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
alive() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }
stop_unit() {
  [ -f "$state/$1.pid" ] || return 0
  kill "$(cat "$state/$1.pid")" 2>/dev/null
  for _ in $(seq 150); do alive "$1" || break; sleep 0.1; done
  alive "$1" && kill -9 "$(cat "$state/$1.pid")" 2>/dev/null && sleep 0.2
  rm -f "$state/$1.pid"
}
start_unit() {
  file="$unit_dir/$1"
  [ -f "$file" ] || { echo "Unit $1 not found." >&2; return 5; }
  envs=$(grep '^Environment=' "$file" | sed 's/^Environment=//')
  exec_line=$(grep '^ExecStart=' "$file" | sed 's/^ExecStart=//')
  env -i $envs $exec_line >"$state/$1.out" 2>&1 </dev/null &
  echo $! > "$state/$1.pid"
}
case "$verb" in
  show-environment) echo "HOME=$HOME" ;;
  daemon-reload) ;;
  enable) touch "$state/$1.enabled" ;;
  disable) [ "$1" = "--now" ] && shift; stop_unit "$1"; rm -f "$state/$1.enabled" ;;
  is-enabled) if [ -f "$state/$1.enabled" ]; then echo enabled; else echo disabled; exit 1; fi ;;
  restart|start) stop_unit "$1"; start_unit "$1" || exit $? ;;
  stop) stop_unit "$1" ;;
  show)
    if alive "$1"; then printf 'ActiveState=active\\nSubState=running\\nMainPID=%s\\nExecMainStatus=0\\nExecMainCode=0\\nLoadState=loaded\\n' "$(cat "$state/$1.pid")";
    elif [ -f "$state/$1.pid" ]; then printf 'ActiveState=failed\\nSubState=failed\\nMainPID=0\\nExecMainStatus=1\\nExecMainCode=exited\\nLoadState=loaded\\n';
    elif [ -f "$unit_dir/$1" ]; then printf 'ActiveState=inactive\\nSubState=dead\\nMainPID=0\\nLoadState=loaded\\n';
    else printf 'ActiveState=inactive\\nSubState=dead\\nMainPID=0\\nLoadState=not-found\\n'; fi ;;
  *) echo "fake systemctl: unsupported $verb" >&2; exit 1 ;;
esac
`;
  const loginctl = `#!/usr/bin/env bash\necho "Linger=no"\n`;
  fs.writeFileSync(path.join(binDir, "systemctl"), systemctl, { mode: 0o755 });
  fs.writeFileSync(path.join(binDir, "loginctl"), loginctl, { mode: 0o755 });
}

/** Kills whatever the fake started (afterEach). */
export function stopFakeUnits(stateDir: string): void {
  if (!fs.existsSync(stateDir)) return;
  const names = fs.readdirSync(stateDir).filter((name) => name.endsWith(".pid"));
  for (const name of names) {
    const pid = Number(fs.readFileSync(path.join(stateDir, name), "utf8"));
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
