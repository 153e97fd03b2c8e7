// Every statement our PostgreSQL clients send, one round trip each (node-pg sends one query at
// a time on a connection), so a test counts round trips by what reached the server.
import { Client } from 'pg';

export interface StatementRecorder {
  /** The statements sent since the last `clear()`, in order. */
  readonly sent: string[];
  clear(): void;
  /** Puts node-pg's own `query` back. */
  restore(): void;
}

export function recordStatements(): StatementRecorder {
  const query = Client.prototype.query;
  const sent: string[] = [];
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    if (typeof args[0] === 'string') sent.push(args[0]);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return {
    sent,
    clear: () => void (sent.length = 0),
    restore: () => void (Client.prototype.query = query),
  };
}
