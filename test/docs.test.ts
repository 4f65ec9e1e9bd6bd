import fs from "node:fs";
import { methodsDocPath, methodsMarkdown } from "../src/methods/methods-doc.js";
import { coreMethods } from "../src/methods/method-table.js";

describe("generated docs", () => {
  it("docs/methods.md matches the method table (regenerate with `npm run schema`)", () => {
    expect(fs.readFileSync(methodsDocPath(), "utf8")).toBe(methodsMarkdown());
  });

  it("documents every advertised method once", () => {
    const doc = methodsMarkdown();
    for (const spec of coreMethods.filter((method) => !method.hidden)) {
      expect(doc.split(`| \`${spec.name}\` |`)).toHaveLength(2);
    }
  });
});
