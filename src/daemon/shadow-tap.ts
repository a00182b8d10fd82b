/**
 * Shadow traffic: while a deploy's shadow phase runs, a share of the app's live idempotent requests
 * is also sent to a fresh instance of the candidate release, and the two answers are compared
 * (status and body). The user's request is served by the live release only: the mirror runs after
 * the answer is known and can neither slow nor change it.
 */
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import type { ShadowReport } from '../control/deploy/engine.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Session {
  candidate: string;
  every: number;
  turn: number;
  unsafeMethods: boolean;
  report: ShadowReport;
}

export type Probe = (release: string, request: GuestRequest) => Promise<GuestResponse>;

export class ShadowTap {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly probe: Probe) {}

  /** Mirrors `pct` % of `app`'s traffic to `candidate` for `durationMs`, then reports. */
  async run(app: string, candidate: string, opts: { pct: number; durationMs: number; unsafeMethods: boolean }): Promise<ShadowReport> {
    const session: Session = { candidate, every: Math.max(1, Math.round(100 / opts.pct)), turn: 0, unsafeMethods: opts.unsafeMethods, report: { samples: 0, mismatches: 0, examples: [] } };
    this.sessions.set(app, session);
    try {
      await new Promise((r) => setTimeout(r, opts.durationMs));
    } finally {
      this.sessions.delete(app);
    }
    return session.report;
  }

  observe(app: string, request: GuestRequest, served: GuestResponse): void {
    const s = this.sessions.get(app);
    if (!s || (!s.unsafeMethods && !IDEMPOTENT.has(request.method))) return;
    if (s.turn++ % s.every !== 0) return;
    this.probe(s.candidate, request).then(
      (mirror) => this.compare(s, request, served, mirror.status, mirror.body),
      () => this.compare(s, request, served, 0, null),
    );
  }

  private compare(s: Session, request: GuestRequest, served: GuestResponse, status: number, body: Uint8Array | null): void {
    s.report.samples++;
    const same = status === served.status && body !== null && Buffer.from(body).equals(Buffer.from(served.body));
    if (same) return;
    s.report.mismatches++;
    if (s.report.examples.length < 5) s.report.examples.push({ url: request.url, old: served.status, new: status });
  }
}
