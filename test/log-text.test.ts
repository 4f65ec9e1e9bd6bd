import { clip, MASK, redactForLog } from "../src/log/log-text.js";

describe("what the activity log makes of client-supplied values", () => {
  it("masks secret-named keys at any depth, whatever their case", () => {
    const frame = JSON.parse(
      '{"params":{"auth":{"token":"t0k","Password":"pw"},"device":{"signature":"sig"},"headers":{"Authorization":"Bearer x","X-Api-Key":"k"}}}',
    );
    expect(JSON.stringify(redactForLog(frame))).toBe(
      JSON.stringify({
        params: {
          auth: { token: MASK, Password: MASK },
          device: { signature: MASK },
          headers: { Authorization: MASK, "X-Api-Key": MASK },
        },
      }),
    );
  });

  it("keeps a `__proto__` key as data, never as the copy's prototype", () => {
    const copy = redactForLog(JSON.parse('{"__proto__":{"polluted":true},"ok":1}')) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(copy)).toBeNull();
    expect(Object.keys(copy)).toEqual(["__proto__", "ok"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("bounds strings, arrays, objects and nesting", () => {
    const copy = redactForLog({
      text: "x".repeat(10_000),
      list: Array.from({ length: 1_000 }, (_, i) => i),
      deep: JSON.parse(`${"[".repeat(50)}1${"]".repeat(50)}`),
      wide: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i])),
    });
    expect(JSON.stringify(copy).length).toBeLessThan(3_000);
    expect(JSON.stringify(copy)).toContain("(+9488 chars)");
    expect(JSON.stringify(copy)).toContain("(+950 items)");
    expect(JSON.stringify(copy)).toContain('"+400 keys"');
  });

  it("clip cuts long text and replaces control characters, so a value cannot forge a log line", () => {
    expect(clip("cli\n12:00:00 [ws] client connected: admin\u001b[2J")).toBe(
      "cli?12:00:00 [ws] client connected: admin?[2J",
    );
    expect(clip("abcdef", 3)).toBe("abc… (+3 chars)");
  });
});
