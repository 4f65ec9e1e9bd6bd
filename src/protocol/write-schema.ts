import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { KindGuard } from "@sinclair/typebox";
import * as connect from "./connect.js";
import * as events from "./events.js";
import * as frames from "./frames.js";
import * as hello from "./hello.js";
import { PROTOCOL_VERSION } from "./version.js";

export interface ProtocolJsonSchema {
  $schema: string;
  $id: string;
  title: string;
  definitions: Record<string, Record<string, unknown>>;
}

/** Every schema exported by the protocol modules, by export name, as plain JSON (TypeBox symbols dropped). */
export function protocolJsonSchema(): ProtocolJsonSchema {
  const definitions: Record<string, unknown> = {};
  for (const exports of [frames, connect, hello, events]) {
    for (const [name, value] of Object.entries(exports)) {
      if (KindGuard.IsSchema(value)) definitions[name] = value;
    }
  }
  return JSON.parse(
    JSON.stringify({
      $schema: "http://json-schema.org/draft-07/schema#",
      $id: `https://coderclaw.dev/protocol/v${PROTOCOL_VERSION}.json`,
      title: `CoderClaw Gateway WebSocket protocol v${PROTOCOL_VERSION}`,
      definitions,
    }),
  ) as ProtocolJsonSchema;
}

/** `docs/protocol.schema.json` under the package root; this file sits two levels down (src/ or dist/protocol/). */
export function protocolSchemaPath(): string {
  return fileURLToPath(new URL("../../docs/protocol.schema.json", import.meta.url));
}

export function writeProtocolSchema(outputPath = protocolSchemaPath()): string {
  mkdirSync(path.dirname(outputPath), { recursive: true });
  writeFileSync(outputPath, `${JSON.stringify(protocolJsonSchema(), null, 2)}\n`);
  return outputPath;
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  console.log(`wrote ${path.relative(process.cwd(), writeProtocolSchema())}`);
}
