/**
 * Several senders per tenant (phone number ids, BSPs, base URLs), tried in order. A sender whose
 * breaker is open is skipped; sender-scoped failures (token, 5xx, rate limit after retries,
 * template) count against it and move on to the next; recipient-scoped failures (not on
 * WhatsApp, bad parameter) stop at once: another sender would fail the same way. When the first
 * sender's breaker lets a probe through and it succeeds, traffic returns to it.
 */
import { isOtpError, OtpError } from "@domain/errors";
import type { CloudApiClient } from "./cloud-api-client";
import { WhatsAppSendError } from "./cloud-api-client";
import {
  createSenderHealth,
  DEFAULT_BREAKER,
  type BreakerOptions,
  type BreakerState,
  type SenderHealth,
} from "./sender-health";

export interface WhatsAppSender {
  /** Route name reported in receipts, e.g. "meta-primary". Unique across tenants. */
  name: string;
  phoneNumberId: string;
  templateName: string;
  /** Locale or language → template language code, for templates not in the default table. */
  languages?: Record<string, string>;
  client: CloudApiClient;
}

export interface SenderPoolOptions {
  /** Tenant → senders in order of preference; "*" is used for tenants not listed. */
  senders: Record<string, WhatsAppSender[]>;
  breaker?: Partial<BreakerOptions>;
  now?: () => number;
}

export interface SenderPool {
  /** Runs `send` on the first available sender, failing over as described above. */
  send<T>(
    tenant: string,
    send: (sender: WhatsAppSender) => Promise<T>,
  ): Promise<{ sender: WhatsAppSender; value: T }>;
  states(): Record<string, BreakerState>;
}

/** Every sender was skipped (breaker open) or none is configured. */
export class NoSenderAvailableError extends OtpError {
  constructor(tenant: string) {
    super("OTP_DEPENDENCY_UNAVAILABLE", `no WhatsApp sender available for tenant ${tenant}`);
    this.name = "NoSenderAvailableError";
  }
}

export function createSenderPool(options: SenderPoolOptions): SenderPool {
  const now = options.now ?? Date.now;
  const breaker = { ...DEFAULT_BREAKER, ...options.breaker };
  const health = new Map<string, SenderHealth>();
  const healthOf = (sender: WhatsAppSender): SenderHealth => {
    let h = health.get(sender.name);
    if (!h) {
      h = createSenderHealth(breaker);
      health.set(sender.name, h);
    }
    return h;
  };

  return {
    async send(tenant, send) {
      const senders = options.senders[tenant] ?? options.senders["*"] ?? [];
      let lastError: Error | undefined;
      for (const sender of senders) {
        const h = healthOf(sender);
        if (!h.tryAcquire(now())) continue;
        try {
          const value = await send(sender);
          h.recordSuccess(now());
          return { sender, value };
        } catch (err) {
          if (err instanceof WhatsAppSendError) {
            if (err.classification.scope === "recipient") {
              // The sender answered properly; the recipient is the problem, everywhere.
              h.recordSuccess(now());
              throw err;
            }
            h.recordFailure(now());
            lastError = err;
            continue;
          }
          h.release();
          // Our own queue for this sender is full: another sender may have room.
          if (isOtpError(err) && err.code === "OTP_RATE_LIMITED") {
            lastError = err;
            continue;
          }
          throw err;
        }
      }
      throw lastError ?? new NoSenderAvailableError(tenant);
    },
    states() {
      const t = now();
      return Object.fromEntries([...health].map(([name, h]) => [name, h.state(t)]));
    },
  };
}
