import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./helpers/gateway-process.js";

/**
 * `npm run dev` runs `node --import tsx bin/dev.js`: a checkout whose dist/ is missing or stale must
 * still run the TypeScript sources. The tree here shares src/ and node_modules with the repo and has a
 * dist/ whose command map throws, so loading anything from dist/ fails the run.
 */
describe("the dev entry (bin/dev.js)", () => {
  let tree: string;

  beforeAll(() => {
    tree = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-dev-entry-"));
    fs.mkdirSync(path.join(tree, "bin"));
    fs.copyFileSync(path.join(REPO_ROOT, "bin", "dev.js"), path.join(tree, "bin", "dev.js"));
    for (const file of ["package.json", "tsconfig.json"]) {
      fs.copyFileSync(path.join(REPO_ROOT, file), path.join(tree, file));
    }
    fs.symlinkSync(path.join(REPO_ROOT, "src"), path.join(tree, "src"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(tree, "node_modules"));
    fs.mkdirSync(path.join(tree, "dist", "cli"), { recursive: true });
    fs.writeFileSync(
      path.join(tree, "dist", "cli", "command-map.js"),
      'throw new Error("stale dist/ was loaded");\n',
    );
  });
  afterAll(() => fs.rmSync(tree, { recursive: true, force: true }));

  it("lists the commands from src/ with no dist/ to load and no warning", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "bin/dev.js", "--help"], {
      cwd: tree,
      env: { PATH: process.env.PATH, HOME: tree, TZ: "UTC" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ {2}agent +Run one agent turn/m);
    expect(result.stdout).toMatch(/^ {2}chat /m);
  }, 70_000);
});
