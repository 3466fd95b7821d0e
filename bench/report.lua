-- Used by bench/run: `wrk -s bench/report.lua ...` prints one parseable line when the run
-- ends. Latencies are wrk's own per-request figures, in microseconds.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local n = summary.requests
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f bytes_per_req=%.1f " ..
    "p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    n, seconds, n / seconds, summary.bytes / math.max(n, 1),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
