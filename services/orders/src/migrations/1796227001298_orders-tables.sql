-- orders' first tables. IF NOT EXISTS: a schema created before migrations is adopted as it is.
CREATE TABLE IF NOT EXISTS orders (
  order_id text PRIMARY KEY,
  customer_id text NOT NULL,
  email text,
  items jsonb NOT NULL,
  total_cents bigint NOT NULL,
  currency text NOT NULL,
  fingerprint text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS order_events (
  seq bigserial PRIMARY KEY,
  order_id text NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  event_type text NOT NULL,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS order_events_by_order ON order_events (order_id, seq);
