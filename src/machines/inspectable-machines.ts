import type { AnyStateMachine } from "xstate";
import { channelAccountMachine } from "./channel.machine.js";
import { connectionMachine } from "./connection.machine.js";
import { gatewayMachine } from "./gateway.machine.js";
import { reloadMachine } from "./reload.machine.js";
import { runMachine } from "./run.machine.js";
import { supervisorMachine } from "./supervisor.machine.js";
import { machineGraph, type MachineGraph } from "./machine-graph.js";

/** Every machine of the design the inspector draws; an actor's `machine` names one of these ids. */
export const INSPECTABLE_MACHINES: readonly AnyStateMachine[] = [
  supervisorMachine,
  gatewayMachine,
  reloadMachine,
  connectionMachine,
  runMachine,
  channelAccountMachine,
];

let graphs: MachineGraph[] | null = null;

/** The definitions never change while the process runs: serialized once, on first ask. */
export function inspectableMachineGraphs(): MachineGraph[] {
  graphs ??= INSPECTABLE_MACHINES.map(machineGraph);
  return graphs;
}
