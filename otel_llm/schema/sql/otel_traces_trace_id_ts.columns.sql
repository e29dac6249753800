-- The clickhouseexporter's trace id -> time range lookup: finding a trace's spans by id first
-- narrows the time range, so the otel_traces scan touches a few partitions only.
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
