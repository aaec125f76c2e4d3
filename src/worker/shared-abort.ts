/**
 * The worker's abort signals are each listened on by many waits at once: a lease's signal by every
 * request in flight (up to an operator's limit, 12 for Google) and its paced or retry waits, the
 * worker's stop signal by each category's pause wait and the ping, upload and finder loops. That is
 * more than Node's default of 10 listeners before it warns of a leak, and no leak: every wait
 * removes its listener when it ends.
 */
import { setMaxListeners } from 'node:events';

/** Listeners one signal may have before Node warns. */
const LISTENERS_MAX = 100;

export function sharedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(LISTENERS_MAX, controller.signal);
  return controller;
}
