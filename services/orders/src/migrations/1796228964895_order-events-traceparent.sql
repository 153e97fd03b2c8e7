-- Each recorded event keeps the W3C traceparent it was published with (null when tracing was
-- off), so orders:trace can name the order's trace. Nullable: the previous release never sets it.
ALTER TABLE order_events ADD COLUMN traceparent text;
