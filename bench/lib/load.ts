// HTTP load against 127.0.0.1 only, always bounded in time and count and stopping by itself.
// Closed loop: `concurrency` clients each send the next request when the last one is answered
// (saturation). Open loop: requests leave on a fixed schedule whatever the answers, and each
// latency is measured from when the request was due, not when it left, so a stall counts for
// every request it delayed (no coordinated omission).
import http from 'node:http';
import type { Histogram } from 'hdr-histogram-js';
import { latencyHistogram } from './stats';

export interface Request {
  orderId: string;
  body: string;
  /** `Bearer <token>` of the customer the body names. */
  authorization?: string;
}

export interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  /** Open loop only: requests never sent because too many were outstanding. */
  dropped: number;
  durationMs: number;
  latency: Histogram;
  accepted: string[];
  /** When each accepted order was answered (ms since epoch), parallel to `accepted`. */
  acceptedAt: number[];
  statuses: Record<string, number>;
}

const MAX_REQUESTS = 2_000_000;

function assertLoopback(url: string): URL {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`load generators only target 127.0.0.1, not ${u.hostname}`);
  return u;
}

function post(agent: http.Agent, target: URL, req: Request): Promise<number> {
  return new Promise((resolve) => {
    const r = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: '/orders',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(req.body),
          ...(req.authorization ? { authorization: req.authorization } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    r.on('error', () => resolve(0));
    r.end(req.body);
  });
}

function newResult(): LoadResult {
  return {
    sent: 0,
    ok: 0,
    errors: 0,
    dropped: 0,
    durationMs: 0,
    latency: latencyHistogram(),
    accepted: [],
    acceptedAt: [],
    statuses: {},
  };
}

function record(result: LoadResult, req: Request, status: number, micros: number): void {
  result.statuses[status] = (result.statuses[status] ?? 0) + 1;
  if (status === 201 || status === 200) {
    result.ok++;
    result.accepted.push(req.orderId);
    result.acceptedAt.push(Date.now());
  } else result.errors++;
  result.latency.recordValue(Math.max(1, Math.round(micros)));
}

export async function closedLoop(
  url: string,
  next: () => Request,
  concurrency: number,
  durationMs: number,
): Promise<LoadResult> {
  const target = assertLoopback(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result = newResult();
  const start = performance.now();
  const end = start + Math.min(durationMs, 600_000);
  const client = async () => {
    while (performance.now() < end && result.sent < MAX_REQUESTS) {
      const req = next();
      result.sent++;
      const t = performance.now();
      const status = await post(agent, target, req);
      record(result, req, status, (performance.now() - t) * 1000);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  result.durationMs = performance.now() - start;
  agent.destroy();
  return result;
}

export async function openLoop(
  url: string,
  next: () => Request,
  rate: number,
  durationMs: number,
  maxOutstanding = 5_000,
): Promise<LoadResult> {
  const target = assertLoopback(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const result = newResult();
  const total = Math.min(MAX_REQUESTS, Math.round((rate * Math.min(durationMs, 600_000)) / 1000));
  const interval = 1000 / rate;
  let outstanding = 0;
  let due = 0;
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (due < total && start + due * interval <= now) {
        const intended = start + due * interval;
        due++;
        if (outstanding >= maxOutstanding) {
          result.dropped++;
          continue;
        }
        const req = next();
        result.sent++;
        outstanding++;
        inflight.push(
          post(agent, target, req).then((status) => {
            outstanding--;
            record(result, req, status, (performance.now() - intended) * 1000);
          }),
        );
      }
      if (due >= total) return resolve();
      setTimeout(tick, Math.max(0, Math.min(5, start + due * interval - performance.now())));
    };
    tick();
  });
  await Promise.all(inflight);
  result.durationMs = performance.now() - start;
  agent.destroy();
  return result;
}
