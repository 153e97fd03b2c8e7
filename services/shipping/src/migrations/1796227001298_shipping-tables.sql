-- shipping's first table. IF NOT EXISTS: a schema created before migrations is adopted as it is.
CREATE TABLE IF NOT EXISTS shipments (
  order_id text PRIMARY KEY,
  shipment_id uuid NOT NULL,
  carrier text NOT NULL,
  scheduled_for timestamptz NOT NULL,
  items jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Whose shipment it is, for the access rules (null on rows from before: operators only).
-- Separate from the CREATE because schemas older than the column exist.
ALTER TABLE shipments ADD COLUMN IF NOT EXISTS customer_id text;
