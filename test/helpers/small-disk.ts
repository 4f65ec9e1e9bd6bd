import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A real, small filesystem (tmpfs) a test can fill up, make read-only, and must unmount. */
export interface SmallDisk {
  dir: string;
  /** Writes a filler file until the filesystem refuses (ENOSPC); returns the bytes written. */
  fill(): number;
  /** Removes the filler. */
  free(): void;
  /** Remounts read-only (`ro: true`) or read-write. */
  setReadOnly(ro: boolean): void;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `bytes` (needs root and a kernel that allows it); null with the reason when the
 * machine does not, so the caller can skip and say why.
 */
export function mountSmallDisk(bytes: number): SmallDisk | { unavailable: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes},mode=0700`, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { unavailable: `cannot mount a tmpfs here (${stderr || (error as Error).message})` };
  }
  const filler = path.join(dir, "filler");
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, "a");
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      let written = 0;
      try {
        for (;;) written += fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
        // The last pages: smaller writes until not one byte more fits.
        for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
          try {
            for (;;) written += fs.writeSync(fd, chunk.subarray(0, size));
          } catch {
            // next size
          }
        }
      } finally {
        fs.closeSync(fd);
      }
      return written;
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    setReadOnly(ro) {
      execFileSync("mount", ["-o", `remount,${ro ? "ro" : "rw"}`, dir], { stdio: "pipe" });
    },
    unmount() {
      try {
        execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
