import { and, not, or, setup, stateIn } from "xstate";

/** A machine with what the gateway's own machines do not use yet: parallel regions, history, inline delays, several targets. */
export const channelLikeMachine = setup({
  guards: { linked: () => true, muted: () => false },
  delays: { retry: ({ context }: { context: { attempts: number } }) => context.attempts * 1_000 },
  types: { context: {} as { attempts: number } },
}).createMachine({
  id: "channel",
  context: { attempts: 0 },
  type: "parallel",
  states: {
    link: {
      initial: "offline",
      states: {
        offline: {
          on: { CONNECT: { target: "online", guard: or(["linked", not("muted")]) } },
          after: { 250: "online" },
        },
        online: {
          on: { DROP: "offline" },
          after: { retry: { target: "offline", guard: stateIn("#channel.inbox.idle") } },
        },
        resumed: { type: "history" },
      },
    },
    inbox: {
      initial: "idle",
      states: {
        idle: {
          on: {
            MESSAGE: {
              target: ["#channel.inbox.busy", "#channel.link.online"],
              guard: and(["linked", "muted"]),
            },
          },
        },
        busy: { always: { target: "idle" } },
      },
    },
  },
});
