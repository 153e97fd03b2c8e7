-- inventory's first tables. IF NOT EXISTS: a schema created before migrations is adopted as it
-- is. The catalog's demo items are not here: the service seeds them at every start.
CREATE TABLE IF NOT EXISTS stock (
  item_id text PRIMARY KEY,
  name text NOT NULL,
  price_cents bigint NOT NULL,
  currency text NOT NULL,
  available integer NOT NULL CHECK (available >= 0),
  reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0)
);

CREATE TABLE IF NOT EXISTS reservations (
  order_id text PRIMARY KEY,
  reservation_id uuid NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('RESERVED', 'INSUFFICIENT')),
  lines jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
