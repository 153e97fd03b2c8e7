// A TCP fault injector between the services and PostgreSQL: it forwards bytes both ways while
// open, and on command cuts every live connection and refuses new ones (nothing listens on its
// port). The real PostgreSQL server stays behind it, untouched.
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { once } from 'node:events';

export class FaultProxy {
  private server: Server | undefined;
  private readonly live = new Set<Socket>();
  /** Connections accepted since the proxy started, and cut by it. */
  accepted = 0;
  cut = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    public port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy(target, 0);
    await proxy.open();
    return proxy;
  }

  get isOpen(): boolean {
    return this.server !== undefined;
  }

  /** Listens (again, on the same port) and forwards new connections. */
  async open(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.forward(client));
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Cuts every live connection (both ends reset) and refuses new ones until open(). */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      this.cutAll();
      await closed;
    }
  }

  /** Resets every live connection; new ones are still accepted. */
  cutAll(): void {
    for (const socket of this.live) {
      socket.resetAndDestroy();
      this.cut++;
    }
    this.live.clear();
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private forward(client: Socket): void {
    this.accepted++;
    const upstream = connect(this.target.port, this.target.host);
    const pair = [client, upstream];
    for (const socket of pair) {
      this.live.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.live.delete(socket);
        for (const other of pair) if (!other.destroyed) other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
