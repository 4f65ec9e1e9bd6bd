import { createActor, fromCallback, fromPromise, toPromise, type AnyActorRef } from "xstate";
import type { GatewayLogger } from "../log/logger.js";
import { gatewayMachine, type GatewayEvent } from "../machines/gateway.machine.js";
import { supervisorMachine, type SupervisorOutput } from "../machines/supervisor.machine.js";
import { GatewayServer, type GatewayServerOptions } from "./gateway-server.js";
import { Inspection } from "./inspection.js";
import { provideReloadMachine } from "./reload-controller.js";

export type ServerSetup = Omit<
  GatewayServerOptions,
  "logger" | "inspection" | "lifecycleState" | "onFault" | "control"
>;

const RESTART_EXPECTED_MS = 1_500;
const CLOSE_WAIT_MS = 2_000;

/** Under systemd or launchd a restart is an exit: the service manager starts the new process. */
export function isServiceSupervised(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.CODERCLAW_NO_RESPAWN) return false;
  return ["LAUNCH_JOB_LABEL", "LAUNCH_JOB_NAME", "INVOCATION_ID", "SYSTEMD_EXEC_PID", "JOURNAL_STREAM"].some(
    (name) => Boolean(env[name]?.trim()),
  );
}

export interface SupervisorOptions {
  logger: GatewayLogger;
  /** Produces the options of each gateway instance (re-read on every in-process restart). */
  prepare: () => ServerSetup;
  /** Whether an external SIGUSR1 may restart the gateway (`commands.restart`). */
  allowSignalRestart: () => boolean;
  /** Install SIGTERM/SIGINT/SIGUSR1 handlers (the CLI does; embedded/test use may not). */
  handleSignals: boolean;
  /** The config file the reload controller watches. */
  configPath: string;
  /** Restart by exiting (a service manager restarts us) instead of in-process. */
  supervisedRestart: boolean;
  onReady?: (server: GatewayServer) => void;
}

export interface RunningGateway {
  /** Resolves with the supervisor's output once the process may exit. */
  done: Promise<SupervisorOutput>;
}

/** Starts the root actor: supervisor → gateway (→ connections), all observed by one inspection stream. */
export function startSupervisor(options: SupervisorOptions): RunningGateway {
  const log = options.logger.child("gateway");
  const inspection = new Inspection();
  let server: GatewayServer | null = null;

  const gatewayActor = (): AnyActorRef | undefined =>
    (root.getSnapshot().children as Record<string, AnyActorRef | undefined>).gateway;
  const lifecycleState = (): string => {
    const value = gatewayActor()?.getSnapshot().value;
    return typeof value === "string" ? value : "stopped";
  };

  const reloadActor = (): AnyActorRef | undefined =>
    (root.getSnapshot().children as Record<string, AnyActorRef | undefined>).reload;

  const reloadLogic = provideReloadMachine({
    configPath: options.configPath,
    log: options.logger.child("reload"),
    current: () => server?.snapshot ?? null,
    applyHot: (snapshot) => server?.applyConfig(snapshot),
    requestRestart: (reason) => restart(reason),
    publish: (outcome) => server?.bus.emit("reload", outcome),
  });

  const gatewayLogic = gatewayMachine.provide({
    actors: {
      startServer: fromPromise(async () => {
        server = new GatewayServer({
          ...options.prepare(),
          logger: options.logger,
          inspection,
          lifecycleState,
          onFault: (error) => gatewayActor()?.send({ type: "FAULT", error } satisfies GatewayEvent),
          control: {
            restart: (reason) => restart(reason),
            reload: () => reloadActor()?.send({ type: "RELOAD_REQUESTED" }),
          },
        });
        await server.listen();
      }),
      services: fromCallback(() => server?.startServices() ?? (() => {})),
      drainRuns: fromPromise(async ({ input }) => {
        // A stop must fit the supervisor's 5 s stop deadline; a restart may wait the configured drain time.
        const configured = server?.snapshot.config.gateway.restart.drainTimeoutMs ?? 0;
        await server?.drainRuns(input.restartExpectedMs === null ? Math.min(configured, 3_000) : configured);
      }),
      closeServer: fromPromise(async ({ input }) => {
        await server?.close(input, CLOSE_WAIT_MS);
        server = null;
      }),
    },
    actions: {
      announceReady: () => {
        log.info("gateway ready");
        if (server) options.onReady?.(server);
      },
      announceDraining: (_, request) => log.info(`draining: ${request.reason}`),
      announceStopped: (_, { error }) => {
        if (error) log.error(`gateway stopped: ${error}`);
      },
    },
  });

  const root = createActor(
    supervisorMachine.provide({
      actors: { gateway: gatewayLogic, reload: reloadLogic },
      actions: {
        announceSignalIgnored: (_, { signal }) =>
          log.info(`received ${signal ?? "signal"} during shutdown; ignoring`),
        announceRestart: (_, { crashes }) =>
          log.warn(crashes > 0 ? `gateway crashed; restarting (attempt ${crashes})` : "gateway restarting"),
        announceStopTimeout: () => log.warn("shutdown timed out; exiting without full cleanup"),
      },
    }),
    { id: "supervisor", inspect: inspection.inspect },
  );

  const signalHandlers: Array<[NodeJS.Signals, () => void]> = [];
  const stop = (reason = "gateway stopping", signal?: string) => root.send({ type: "STOP", reason, signal });
  const restart = (why = "restart requested", restartExpectedMs = RESTART_EXPECTED_MS) => {
    if (options.supervisedRestart) {
      log.info(`restart (${why}); restart mode: full process restart (supervisor restart)`);
      root.send({ type: "STOP", reason: "gateway restarting", restartExpectedMs });
    } else {
      log.info(`restart (${why}); restart mode: in-process restart`);
      root.send({ type: "RESTART", reason: "gateway restarting", restartExpectedMs });
    }
  };
  if (options.handleSignals) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      signalHandlers.push([signal, () => stop("gateway stopping", signal)]);
    }
    signalHandlers.push([
      "SIGUSR1",
      () => {
        if (options.allowSignalRestart()) restart("SIGUSR1");
        else
          log.warn("SIGUSR1 restart ignored (not authorized; enable commands.restart or use gateway tool).");
      },
    ]);
    for (const [signal, handler] of signalHandlers) process.on(signal, handler);
  }

  root.start();
  const done = toPromise(root).finally(() => {
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
  }) as Promise<SupervisorOutput>;

  return { done };
}
