-- notifications' first table. IF NOT EXISTS: a schema created before migrations is adopted as
-- it is.
CREATE TABLE IF NOT EXISTS notifications (
  notification_id uuid PRIMARY KEY,
  source_event_id uuid NOT NULL UNIQUE,
  order_id text NOT NULL,
  kind text NOT NULL,
  recipient text NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS notifications_by_order ON notifications (order_id, sent_at);

-- Whose notification it is, for the access rules (null on rows from before: operators only).
-- Separate from the CREATE because schemas older than the column exist.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS customer_id text;
