export { rateLimit, type RateLimitInput, type RateLimitResult } from "./rate-limit";
export { counterWindow, type CounterWindowInput, type CounterWindowResult } from "./counter-window";
export { setIfAbsentGet, type SetIfAbsentGetInput, type SetIfAbsentGetResult } from "./set-if-absent-get";
