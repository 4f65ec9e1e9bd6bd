/** The parts of irc-framework (4.x, untyped) the IRC channel uses. */
declare module "irc-framework" {
  import { EventEmitter } from "node:events";

  export interface ClientOptions {
    host: string;
    port: number;
    tls?: boolean;
    nick: string;
    username?: string;
    gecos?: string;
    password?: string;
    auto_reconnect?: boolean;
    ping_interval?: number;
    ping_timeout?: number;
    message_max_length?: number;
    version?: string;
    encoding?: string;
  }

  export interface PrivmsgEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    time?: number;
  }

  export class Client extends EventEmitter {
    constructor(options?: Partial<ClientOptions>);
    user: { nick: string; username: string; host: string };
    connection: { connected: boolean; end(data?: string): void };
    connect(options: ClientOptions): void;
    quit(message?: string): void;
    say(target: string, message: string): void;
    join(channel: string, key?: string): void;
    raw(...args: string[]): void;
    changeNick(nick: string): void;
    ping(message?: string): void;
    caseCompare(a: string, b: string): boolean;
    caseLower(value: string): string;
  }

  const IRC: { Client: typeof Client };
  export default IRC;
}
