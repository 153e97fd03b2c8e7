import { createServer, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { UnavailableError } from '../../services/shared/src/errors';
import { SchemaRegistryClient } from '../../services/shared/src/contracts/registry';

// Port 9 (discard) on loopback: nothing listens there, so every call fails to connect.
const CLOSED = 'http://127.0.0.1:9/apis/ccompat/v7';

describe('the schema registry client', () => {
  it('takes basic auth credentials from the URL and never shows them', () => {
    const client = new SchemaRegistryClient({ url: 'http://ops:s3cret-pw@127.0.0.1:9/apis/ccompat/v7/' });
    expect(client.url).toBe('http://127.0.0.1:9/apis/ccompat/v7');
    expect(inspect(client, { showHidden: true, depth: 5 })).not.toContain('s3cret-pw');
    expect(JSON.stringify(client)).not.toContain('s3cret-pw');
  });

  it('reports an unreachable registry as a retriable UnavailableError without the credentials', async () => {
    const client = new SchemaRegistryClient({
      url: CLOSED,
      auth: { username: 'ops', password: 's3cret-pw' },
    });
    const error = await client.subjects().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).retriable).toBe(true);
    expect((error as Error).message).toContain('GET http://127.0.0.1:9/apis/ccompat/v7/subjects');
    expect(inspect(error, { depth: 5 })).not.toContain('s3cret-pw');
  });

  it('asks three times, each within its timeout, when a call gets no answer', async () => {
    // A listener that takes connections and never answers: what a lost response looks like.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const client = new SchemaRegistryClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 300 });
      const started = Date.now();
      const error = await client.schemaById(1).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toMatch(/Timeout/i);
      expect(sockets.length).toBe(3);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
