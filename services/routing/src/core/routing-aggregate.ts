/**
 * The routing aggregate of one verification: `handleCommand` decides and folds a command. An
 * input seen before is a no-op, since Kafka redelivers and timers fire at least once.
 */
import type { DecideContext } from "./dispatch-step";
import { decide } from "./routing-decide";
import { evolveAll } from "./routing-evolve";
import type { RoutingCommand, RoutingEvent, RoutingState } from "./types";

export interface Handled {
  state: RoutingState;
  /** Empty when the command changed nothing (or was applied before). */
  events: RoutingEvent[];
}

export function handleCommand(state: RoutingState, command: RoutingCommand, ctx: DecideContext): Handled {
  if (state.appliedInputs.includes(command.inputId)) return { state, events: [] };
  const decided = decide(command, state, ctx);
  if (decided.length === 0) return { state, events: [] };
  const events: RoutingEvent[] = [...decided, { type: "InputApplied", inputId: command.inputId }];
  return { state: evolveAll(state, events, ctx.settings), events };
}

export type { DecideContext } from "./dispatch-step";
export { initialRoutingState } from "./routing-evolve";
