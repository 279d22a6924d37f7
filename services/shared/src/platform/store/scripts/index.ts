export { rateLimit } from "./rate-limit";
export { counterWindow } from "./counter-window";
export { setIfAbsentGet } from "./set-if-absent-get";
