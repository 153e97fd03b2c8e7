// The order bodies every pipeline receives, in the same sequence: one line, an item with ample
// stock, from one of a thousand customers, each with its own token.
import { randomUUID } from 'node:crypto';
import type { Request } from './lib/load';

const ITEMS = ['ceramic-mug', 'espresso-beans-1kg', 'pour-over-kettle', 'burr-grinder'];
export const CUSTOMERS = 1000;
let requestNo = 0;
/** Each customer's `Bearer` token, minted once before the runs (signing is not what is measured). */
let customerTokens: string[] = [];

export function useCustomerTokens(tokens: string[]): void {
  customerTokens = tokens;
}

export function nextRequest(): Request {
  const orderId = randomUUID();
  const n = requestNo++;
  return {
    orderId,
    authorization: customerTokens[n % CUSTOMERS],
    body: JSON.stringify({
      orderId,
      customerId: `c-${n % CUSTOMERS}`,
      email: 'ada@example.com',
      items: [{ itemId: ITEMS[n % ITEMS.length], quantity: 1 }],
    }),
  };
}
