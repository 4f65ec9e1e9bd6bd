import fs from "node:fs";
import path from "node:path";

export const GOLDEN_DIR = path.resolve(__dirname, "..", "golden");

/** Compares `actual` with test/golden/<name>; `UPDATE_GOLDEN=1` rewrites the file instead. */
export function expectGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === "1") {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file))
    throw new Error(`missing golden file ${file} (run with UPDATE_GOLDEN=1 to create it)`);
  expect(actual).toBe(fs.readFileSync(file, "utf8"));
}
