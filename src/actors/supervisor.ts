import { createActor, fromCallback, fromPromise, toPromise, type AnyActorRef } from "xstate";
import { FILE_ONLY, type GatewayLogger } from "../log/logger.js";
import { gatewayMachine, type GatewayEvent } from "../machines/gateway.machine.js";
import {
  supervisorMachine,
  type SupervisorEvent,
  type SupervisorOutput,
} from "../machines/supervisor.machine.js";
import { GatewayMetrics } from "../metrics/gateway-metrics.js";
import { NO_FAULTS, type FaultInjection } from "./fault-injection.js";
import { GatewayServer, type GatewayServerOptions } from "./gateway-server.js";
import { Inspection } from "./inspection.js";
import { provideReloadMachine } from "./reload-controller.js";
import type { RunningConfig } from "./running-config.js";
import { RESTART_EXPECTED_MS, shutdownBudget } from "./shutdown-budget.js";

export type ServerSetup = Omit<
  GatewayServerOptions,
  "logger" | "inspection" | "lifecycleState" | "onFault" | "control" | "metrics"
>;

/** Under systemd or launchd a restart is an exit: the service manager starts the new process. */
export function isServiceSupervised(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.CODERCLAW_NO_RESPAWN) return false;
  return ["LAUNCH_JOB_LABEL", "LAUNCH_JOB_NAME", "INVOCATION_ID", "SYSTEMD_EXEC_PID", "JOURNAL_STREAM"].some(
    (name) => Boolean(env[name]?.trim()),
  );
}

export interface SupervisorOptions {
  logger: GatewayLogger;
  /** The running config: the reload controller's baseline, and what decides the shutdown budget. */
  runningConfig: RunningConfig;
  /** Produces the options of each gateway instance (re-read on every in-process restart). */
  prepare: () => ServerSetup;
  /** Whether an external SIGUSR1 may restart the gateway (`commands.restart`). */
  allowSignalRestart: () => boolean;
  /**
   * Install SIGTERM/SIGINT/SIGUSR1 handlers, and turn an uncaught exception into an orderly stop
   * (the CLI does; embedded/test use may not).
   */
  handleSignals: boolean;
  /** The config file the reload controller watches. */
  configPath: string;
  /** Restart by exiting (a service manager restarts us) instead of in-process. */
  supervisedRestart: boolean;
  /** Test-only failure injection (inert unless CODERCLAW_FAULT_INJECTION is set). */
  faults?: FaultInjection;
  onReady?: (server: GatewayServer) => void;
}

export interface RunningGateway {
  /** Resolves with the supervisor's output once the process may exit. */
  done: Promise<SupervisorOutput>;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Starts the root actor: supervisor → gateway (→ connections) and reload, all observed by one inspection stream. */
export function startSupervisor(options: SupervisorOptions): RunningGateway {
  const log = options.logger.child("gateway");
  const faults = options.faults ?? NO_FAULTS;
  const inspection = new Inspection();
  let server: GatewayServer | null = null;
  /** Created when a gateway first starts with metrics enabled; kept across restarts. */
  let metrics: GatewayMetrics | null = null;

  const child = (id: string): AnyActorRef | undefined =>
    (root.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];
  const lifecycleState = (): string => {
    const value = child("gateway")?.getSnapshot().value;
    return typeof value === "string" ? value : "stopped";
  };
  const budget = (kind: "stop" | "restart") =>
    shutdownBudget(kind, options.runningConfig.snapshot.config.gateway.restart.drainTimeoutMs);
  const send = (event: SupervisorEvent) => {
    if (root.getSnapshot().status === "active") root.send(event);
  };

  const reloadLogic = provideReloadMachine({
    configPath: options.configPath,
    log: options.logger.child("reload"),
    current: () => options.runningConfig.snapshot,
    applyHot: (snapshot) => {
      if (server) server.applyConfig(snapshot);
      else options.runningConfig.replace(snapshot);
    },
    requestRestart: (cause) => restart(cause),
    publish: (outcome) => server?.bus.emit("reload", outcome),
    faults,
  });

  const closeServer = async (request: Parameters<GatewayServer["close"]>[0]) => {
    const closing = server;
    server = null;
    await closing?.close(request, request.budget.closeWaitMs);
  };

  const gatewayLogic = gatewayMachine.provide({
    actors: {
      startServer: fromPromise(async () => {
        const setup = options.prepare(); // re-reads the config on a restart
        const metricsEnabled = options.runningConfig.snapshot.config.gateway.metrics.enabled;
        if (metricsEnabled) metrics ??= new GatewayMetrics();
        server = new GatewayServer({
          ...setup,
          metrics: metricsEnabled ? metrics : null,
          logger: options.logger,
          inspection,
          lifecycleState,
          onFault: (error) =>
            child("gateway")?.send({ type: "FAULT", error, budget: budget("stop") } satisfies GatewayEvent),
          control: {
            restart: (cause) => restart(cause),
            reload: () => child("reload")?.send({ type: "RELOAD_REQUESTED" }),
          },
        });
        await server.listen();
      }),
      services: fromCallback(() => {
        faults.trip("gateway:services");
        return server?.startServices(() => faults.trip("gateway:tick")) ?? (() => {});
      }),
      drainRuns: fromPromise(async ({ input }) => {
        await server?.drainRuns(input.budget.drainMs);
      }),
      closeServer: fromPromise(async ({ input }) => {
        await faults.stall("gateway:close");
        await closeServer(input);
      }),
    },
    actions: {
      announceReady: () => {
        // Before the line: whoever waits for "gateway ready" may look for the runtime record at once.
        if (server) options.onReady?.(server);
        log.info("gateway ready");
      },
      announceDraining: (_, request) => {
        log.info(`draining: ${request.reason}`);
        faults.trip("gateway:action");
      },
      announceStopped: (_, { error, failedWhile }) => {
        if (!error) return;
        // A gateway that never came up: the CLI prints "Gateway failed to start: …" once; the file keeps it too.
        if (failedWhile === "starting") log.error(`gateway failed to start: ${error}`, { [FILE_ONLY]: true });
        else log.error(`gateway stopped: ${error}`);
      },
    },
  });

  const root = createActor(
    supervisorMachine.provide({
      actors: {
        gateway: gatewayLogic,
        reload: reloadLogic,
        cleanupGateway: fromPromise(({ input }) => closeServer(input)),
      },
      actions: {
        announceRestart: (_, { cause, crashes, restartInMs }) => {
          metrics?.restarted(cause, crashes);
          if (crashes === 0) log.info(`gateway restarting (${cause})`);
          else log.warn(`${cause}; restarting in ${restartInMs} ms (attempt ${crashes})`);
        },
        announceRequestIgnored: (_, { cause }) => log.info(`${cause} during shutdown; ignoring`),
        announceChildFailed: (_, { child: id, error, restartInMs }) =>
          log.error(
            restartInMs === null
              ? `${id} failed: ${error}`
              : `${id} failed: ${error}; restarting it in ${restartInMs} ms`,
          ),
        announceStopTimeout: (_, { cause, deadlineMs }) =>
          log.warn(
            `shutdown timed out after ${deadlineMs} ms (${cause ?? "stop"}); exiting without full cleanup`,
          ),
      },
    }),
    { id: "supervisor", inspect: inspection.inspect, input: { stopBudget: budget("stop") } },
  );

  const stop = (cause: string) =>
    send({ type: "STOP", reason: "gateway stopping", cause, budget: budget("stop") });
  const restart = (cause = "restart requested") => {
    if (options.supervisedRestart) {
      log.info(`restart (${cause}); restart mode: full process restart (supervisor restart)`);
      send({
        type: "STOP",
        reason: "gateway restarting",
        cause,
        budget: budget("restart"),
        restartExpectedMs: RESTART_EXPECTED_MS,
      });
    } else {
      log.info(`restart (${cause}); restart mode: in-process restart`);
      send({ type: "RESTART", cause, budget: budget("restart"), restartExpectedMs: RESTART_EXPECTED_MS });
    }
  };

  const processHandlers: Array<[string, (...args: unknown[]) => void]> = [];
  if (options.handleSignals) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      processHandlers.push([signal, () => stop(`received ${signal}`)]);
    }
    processHandlers.push([
      "SIGUSR1",
      () => {
        if (options.allowSignalRestart()) restart("received SIGUSR1");
        else
          log.warn("SIGUSR1 restart ignored (not authorized; enable commands.restart or use gateway tool).");
      },
    ]);
    // Code that failed outside any actor leaves state nobody can vouch for: stop in order, exit non-zero.
    const uncaught = (error: unknown) => {
      log.error(
        `uncaught exception: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      send({ type: "CHILD_FAILED", child: "gateway", error: errorText(error) });
    };
    processHandlers.push(["uncaughtException", uncaught], ["unhandledRejection", uncaught]);
    for (const [event, handler] of processHandlers) process.on(event as NodeJS.Signals, handler);
  }

  root.start();
  const done = toPromise(root).finally(() => {
    for (const [event, handler] of processHandlers) process.off(event as NodeJS.Signals, handler);
  }) as Promise<SupervisorOutput>;

  return { done };
}
