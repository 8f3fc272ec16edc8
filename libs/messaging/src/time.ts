/*
 * Event time from other machines is trusted only so far ahead of the receiving service's own wall
 * clock. One time far in the future (a lying watermark, a corrupt statistics interval) would move a
 * clock past all real traffic: flows would expire early and later ones never, statistics would land
 * in year-4822 intervals, alerts would wait for the end of input and committed offsets would stay
 * pinned. The bound is the wall clock because nothing in the stream can vouch for itself (the
 * first message a service sees may be the hostile one), and it costs replays nothing: a capture
 * replayed from a file carries past times. Times in the past are not bounded this way.
 */

/** Stable dead-letter code of a message whose event time is too far ahead of the receiving service's clock. */
export const TIME_FUTURE = 'TIME.FUTURE';

/** Latest event time (µs since the epoch) a service accepts at wall-clock `nowMs`, given its tolerance in seconds. */
export function futureLimitUs(nowMs: number, maxFutureS: number): number {
  return nowMs * 1000 + maxFutureS * 1e6;
}

/** The dead-letter reason for `what` at `tUs` past `limitUs` (`setting` names the tolerance to change). */
export function futureReason(what: string, tUs: number, limitUs: number, maxFutureS: number, setting: string): string {
  const ahead = (tUs - (limitUs - maxFutureS * 1e6)) / 1e6;
  return `${what} ${tUs / 1e6} s (epoch) is ${ahead.toExponential(3)} s ahead of this service's clock, more than ${setting}=${maxFutureS}`;
}
