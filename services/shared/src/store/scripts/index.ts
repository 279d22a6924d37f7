export { rateLimit, type RateLimitInput, type RateLimitResult } from "./rate-limit";
export { counterWindow, type CounterWindowInput, type CounterWindowResult } from "./counter-window";
export {
  ackTimer,
  cancelTimer,
  claimDue,
  scheduleTimer,
  type AckTimerInput,
  type ClaimDueInput,
  type ClaimedTimers,
  type ScheduleTimerInput,
  type TimerRef,
} from "./timers";
export { setIfAbsentGet, type SetIfAbsentGetInput, type SetIfAbsentGetResult } from "./set-if-absent-get";
