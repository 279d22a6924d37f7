/**
 * One simulated outbound call: queued → (initiated) ringing → in-progress → completed, or busy /
 * no-answer / failed, per the scenario; canceled or hung up on request. Status callbacks are
 * posted in order, form-encoded and signed (X-Twilio-Signature), for the events the call asked
 * for (default: completed only, as Twilio does). When answered, the TwiML is played to the
 * listener and what they heard goes to the inbox.
 */
import { twilioSignature } from "../twilio-signature";
import type { CallStatus } from "../voice-provider";
import type { CallInbox, HeardCall } from "./inbox";
import type { CallOutcome, ResolvedProfile } from "./scenario";
import { listen } from "./twiml-listener";

export interface CallRequest {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  twiml: string;
  statusCallback: string | undefined;
  events: ReadonlySet<string>;
}

export interface CallDeps {
  authToken: string;
  inbox: CallInbox;
  now: () => number;
  onPosted: (ok: boolean) => void;
}

export class SimulatedCall {
  status: CallStatus = "queued";
  readonly createdAt: number;
  answeredAt: number | undefined;
  endedAt: number | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private sequence = 0;
  private posting: Promise<void> = Promise.resolve();
  private heard: HeardCall | undefined;

  constructor(
    readonly request: CallRequest,
    private readonly deps: CallDeps,
  ) {
    this.createdAt = deps.now();
  }

  start(profile: ResolvedProfile, outcome: CallOutcome): void {
    this.after(profile.ringDelayMs, () => {
      if (outcome === "failed") return this.finish("failed");
      this.status = "ringing";
      this.notify("initiated", "initiated");
      this.notify("ringing", "ringing");
      this.after(profile.answerDelayMs, () => {
        if (outcome === "busy" || outcome === "no-answer") return this.finish(outcome);
        this.answer(profile);
      });
    });
  }

  /** Status=canceled ends a queued or ringing call; Status=completed also hangs up an answered one. */
  end(requested: "canceled" | "completed"): void {
    if (this.status === "queued" || this.status === "ringing") return this.finish("canceled");
    if (this.status === "in-progress" && requested === "completed") this.finish("completed");
  }

  /** Stops the clock on this call (simulator shutdown). */
  abandon(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  get isFinal(): boolean {
    return this.endedAt !== undefined;
  }

  resource(): Record<string, unknown> {
    const r = this.request;
    return {
      sid: r.sid,
      account_sid: r.accountSid,
      to: r.to,
      from: r.from,
      status: this.status,
      direction: "outbound-api",
      api_version: "2010-04-01",
      date_created: rfc2822(this.createdAt),
      start_time: this.answeredAt === undefined ? null : rfc2822(this.answeredAt),
      end_time: this.endedAt === undefined ? null : rfc2822(this.endedAt),
      duration: String(this.durationSeconds()),
      uri: `/2010-04-01/Accounts/${r.accountSid}/Calls/${r.sid}.json`,
    };
  }

  private answer(profile: ResolvedProfile): void {
    this.status = "in-progress";
    this.answeredAt = this.deps.now();
    this.notify("answered", "in-progress");
    const listener = {
      pressKey: profile.answeredBy === "human" ? "1" : undefined,
      followGather: (url: string, digits: string) => this.gather(url, digits),
    };
    void listen(this.request.twiml, listener)
      .then((hearing) => {
        this.heard = {
          phone: this.request.to.replace(/[^0-9]/g, ""),
          from: this.request.from,
          callSid: this.request.sid,
          answeredBy: profile.answeredBy,
          heard: hearing.utterances.map((u) => u.text).join(" "),
          utterances: hearing.utterances,
          pauses: hearing.pauses,
          pressed: hearing.pressed,
          status: this.status,
          answeredAt: new Date(this.answeredAt ?? this.deps.now()).toISOString(),
        };
        this.deps.inbox.add(this.heard);
      })
      .catch(() => undefined)
      .finally(() => this.after(profile.talkMs, () => this.finish("completed")));
  }

  /** Posts the key press to the Gather action, signed like any callback; returns its TwiML. */
  private async gather(url: string, digits: string): Promise<string> {
    const params = this.params("in-progress", { Digits: digits, FinishedOnKey: "" });
    const response = await this.post(url, params);
    return response?.ok ? response.text() : '<?xml version="1.0"?><Response><Hangup/></Response>';
  }

  private finish(status: CallStatus): void {
    if (this.isFinal) return;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.status = status;
    this.endedAt = this.deps.now();
    if (this.heard) this.heard.status = status;
    const duration = String(this.durationSeconds());
    this.notify("completed", status, { CallDuration: duration, Duration: duration });
  }

  private durationSeconds(): number {
    if (this.answeredAt === undefined) return 0;
    return Math.max(1, Math.round(((this.endedAt ?? this.deps.now()) - this.answeredAt) / 1000));
  }

  private after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }

  private notify(event: string, status: CallStatus, extra: Record<string, string> = {}): void {
    const url = this.request.statusCallback;
    // Without StatusCallbackEvent Twilio only reports the end of the call.
    const wanted = this.request.events.size === 0 ? event === "completed" : this.request.events.has(event);
    if (url === undefined || !wanted) return;
    const params = this.params(status, {
      CallbackSource: "call-progress-events",
      SequenceNumber: String(this.sequence++),
      ...extra,
    });
    this.posting = this.posting.then(async () => {
      const response = await this.post(url, params);
      await response?.arrayBuffer().catch(() => undefined);
      this.deps.onPosted(response?.ok ?? false);
    });
  }

  private params(status: CallStatus, extra: Record<string, string>): URLSearchParams {
    const r = this.request;
    return new URLSearchParams({
      AccountSid: r.accountSid,
      ApiVersion: "2010-04-01",
      CallSid: r.sid,
      CallStatus: status,
      Called: r.to,
      Caller: r.from,
      Direction: "outbound-api",
      From: r.from,
      To: r.to,
      Timestamp: rfc2822(this.deps.now()),
      ...extra,
    });
  }

  private async post(url: string, params: URLSearchParams): Promise<Response | undefined> {
    try {
      return await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-twilio-signature": twilioSignature(this.deps.authToken, url, params),
        },
        body: params.toString(),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      return undefined;
    }
  }
}

/** "Mon, 16 Aug 2010 03:45:01 +0000", as Twilio writes times. */
function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}
