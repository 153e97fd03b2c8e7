-- The runtime's tables in every service schema: the outbox the relay publishes from and the
-- inbox that deduplicates handled events. Written IF NOT EXISTS so that a schema created
-- before migrations (by the CREATE TABLE lists the runtime ran at startup) is adopted as it is.
CREATE TABLE IF NOT EXISTS outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  value bytea NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}',
  event_type text NOT NULL,
  event_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS inbox (
  event_id uuid PRIMARY KEY,
  event_type text NOT NULL,
  topic text NOT NULL,
  partition int NOT NULL,
  "offset" bigint NOT NULL,
  handled_at timestamptz NOT NULL DEFAULT now()
);

-- Lets inbox retention find old rows without reading the whole inbox.
CREATE INDEX IF NOT EXISTS inbox_handled_at ON inbox (handled_at);
