import { createActor, fromCallback, type EventObject, type InspectionEvent } from "xstate";

/** The event type prefix xstate uses to tell a parent that one of its child actors failed. */
export const CHILD_ERROR_EVENT_PREFIX = "xstate.error.actor.";

/**
 * A started parent for many standalone actors of one kind (connections, runs). They share its actor
 * system (a system per actor would cost a scheduler, registries and a dozen closures each), and when one
 * of them fails — a bug in one of its actions — the parent reports which one and why, where xstate would
 * otherwise raise an unhandled error and end the process.
 */
export function createFailureParent(
  id: string,
  onChildFailed: (childId: string, error: unknown) => void,
  inspect?: (event: InspectionEvent) => void,
) {
  const parent = createActor(
    fromCallback<EventObject>(({ receive }) => {
      receive((event) => {
        if (event.type.startsWith(CHILD_ERROR_EVENT_PREFIX)) {
          onChildFailed(
            event.type.slice(CHILD_ERROR_EVENT_PREFIX.length),
            (event as { error?: unknown }).error,
          );
        }
      });
    }),
    { id, inspect },
  );
  parent.start();
  return parent;
}
