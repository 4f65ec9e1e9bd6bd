import fs from "node:fs";
import { methodsDocPath, methodsMarkdown } from "../src/methods/methods-doc.js";
import { coreMethods } from "../src/methods/method-table.js";
import { GATEWAY_EVENTS } from "../src/protocol/index.js";

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

  it("docs/protocol.md's event table lists exactly the events hello-ok advertises", () => {
    const protocol = fs.readFileSync(new URL("../docs/protocol.md", import.meta.url), "utf8");
    const section = protocol.slice(protocol.indexOf("## Events"), protocol.indexOf("### Sequence numbers"));
    const documented = [...section.matchAll(/^\| `([a-z.]+)` +\|/gm)].map((match) => match[1]);
    expect([...documented].sort()).toEqual([...GATEWAY_EVENTS].sort());
  });
});
