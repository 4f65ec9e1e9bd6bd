// Several bench/conn-worker.js processes holding connections together (see there for the commands).
import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "conn-worker.js");

class Worker {
  constructor() {
    this.child = fork(WORKER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.pending = new Map();
    this.nextId = 0;
    this.child.on("message", (reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply);
      else p.reject(new Error(`bench worker: ${reply.error}`));
    });
    this.child.on("exit", (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`bench worker exited (${code})`));
      this.pending.clear();
    });
  }

  call(message) {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...message, id });
    });
  }
}

/** `size` worker processes; `open()` spreads connections and concurrency over them evenly. */
export class WorkerPool {
  constructor(size) {
    this.workers = Array.from({ length: size }, () => new Worker());
  }

  /** Opens `count` more authenticated connections, `concurrency` in flight in all; resolves with the ms taken. */
  async open(port, token, count, concurrency, params) {
    const n = this.workers.length;
    const start = performance.now();
    await Promise.all(
      this.workers.map((w, i) =>
        w.call({
          cmd: "open",
          port,
          token,
          params,
          count: Math.floor(count / n) + (i < count % n ? 1 : 0),
          concurrency: Math.max(1, Math.floor(concurrency / n) + (i < concurrency % n ? 1 : 0)),
        }),
      ),
    );
    return performance.now() - start;
  }

  /** From now on, each connection records its delay to the first broadcast stamped at or after `since`. */
  async watch(since) {
    await Promise.all(this.workers.map((w) => w.call({ cmd: "watch", since })));
  }

  async receipts() {
    const replies = await Promise.all(this.workers.map((w) => w.call({ cmd: "receipts" })));
    return replies.flatMap((r) => r.delays);
  }

  async close() {
    await Promise.all(
      this.workers.map((w) =>
        w.call({ cmd: "close" }).catch(() => {
          w.child.kill("SIGKILL");
        }),
      ),
    );
  }

  kill() {
    for (const w of this.workers) w.child.kill("SIGKILL");
  }
}
