// A request's deadline, checked between the stages of a search: a stage that holds the event loop keeps the timer
// of the deadline from firing, so the clock itself is read.

/** A signal that may carry the time by which its work must end, and the error to end it with. */
export type DeadlineSignal = AbortSignal & { deadline?: number; timeout?: Error };

/** Throws the signal's reason when it is aborted, or its timeout when its deadline has passed. */
export function checkDeadline(signal?: DeadlineSignal): void {
  if (!signal) return;
  signal.throwIfAborted();
  if (signal.deadline !== undefined && performance.now() > signal.deadline) throw signal.timeout ?? new Error('the deadline has passed');
}
