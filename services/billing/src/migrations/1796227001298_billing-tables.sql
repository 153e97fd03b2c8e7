-- billing's first table. IF NOT EXISTS: a schema created before migrations is adopted as it is.
CREATE TABLE IF NOT EXISTS payments (
  order_id text PRIMARY KEY,
  payment_id uuid NOT NULL,
  customer_id text NOT NULL,
  email text,
  amount_cents bigint NOT NULL,
  currency text NOT NULL,
  status text NOT NULL CHECK (status IN ('CAPTURED', 'DECLINED', 'REFUNDED')),
  decline_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  refunded_at timestamptz
);
