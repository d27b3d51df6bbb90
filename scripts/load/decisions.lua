-- wrk script: POST /v1/decisions with unique signals on every request (no replay),
-- over keep-alive connections. The token comes from $PARMANA_TOKEN.
-- Prints one JSON line: requests/s, p50/p99 latency, and non-2xx answers (must be 0).
local threads = {}
local token = os.getenv("PARMANA_TOKEN")

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  -- Unique across threads and across wrk runs (Lua's generator is unseeded: without
  -- this, every run would repeat the same signals and be answered 409).
  local run = tonumber(os.getenv("LOAD_RUN") or "0")
  math.randomseed(os.time() * 1000 + id * 7919 + run)
  prefix = string.format("w%d_%d_%d_%d_", id, run, os.time(), math.random(1, 1000000000))
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"policy_id":"payments.release","signals":{"payment_id":"%s%d","amount":%d,"currency":"EUR","kyc_verified":true}}',
    prefix, counter, 10 + counter % 1000)
  return wrk.format("POST", "/v1/decisions",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "seconds": %.2f, "requests_per_second": %.0f, "p50_ms": %.2f, "p99_ms": %.2f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
