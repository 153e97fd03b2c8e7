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
});
