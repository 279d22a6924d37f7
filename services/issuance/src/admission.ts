/**
 * Surge control: a bounded number of StartVerification calls in flight per replica. Past it, new
 * starts are shed at once with a retry hint instead of queueing and slowing everyone down;
 * checks are never counted here, so they keep their capacity during a surge.
 */
import { OtpError } from "../../shared/src/errors";

export interface Admission {
  /** Takes a slot or throws OTP_OVERLOADED; call the returned function when done. */
  enter(): () => void;
  inFlight(): number;
  readonly capacity: number;
}

export function createAdmission({
  maxInFlight,
  retryAfterMs = 200,
}: {
  maxInFlight: number;
  retryAfterMs?: number;
}): Admission {
  let inFlight = 0;
  return {
    capacity: maxInFlight,
    inFlight: () => inFlight,
    enter() {
      if (inFlight >= maxInFlight) {
        // Jitter spreads the retries of a crowd that was shed together.
        const jittered = Math.round(retryAfterMs * (0.5 + Math.random()));
        throw new OtpError("OTP_OVERLOADED", "too many verifications in progress, retry shortly", {
          retryAfterMs: jittered,
        });
      }
      inFlight++;
      let released = false;
      return () => {
        if (!released) {
          released = true;
          inFlight--;
        }
      };
    },
  };
}
