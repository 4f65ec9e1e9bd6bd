export * from "./close-codes.js";
export * from "./connect.js";
export * from "./error-codes.js";
export * from "./events.js";
export * from "./frames.js";
export * from "./hello.js";
export * from "./validate.js";
export * from "./version.js";
