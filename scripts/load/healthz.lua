-- wrk script: GET /healthz over keep-alive connections — the HTTP stack's own cost per
-- request (NIO, Hummingbird, Parmana's middleware), without a decision. Same JSON line
-- as decisions.lua.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "seconds": %.2f, "requests_per_second": %.0f, "p50_ms": %.2f, "p99_ms": %.2f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
