-- wrk script for scripts/overload-test.sh: POST /v1/decisions with unique signals,
-- ONE connection per thread (wrk -tN -cN), so that each thread alternates request() and
-- response() and can time every request on the client's monotonic clock (LuaJIT FFI).
-- Latencies are kept by status, so the p99 of the admitted (201) requests is measured
-- apart from the fast 503 refusals. The execution ids of the 201s are written out: the
-- test checks every one of them is in the audit log.
-- Token: $PARMANA_TOKEN. Output directory: $OVERLOAD_OUT (admitted.txt, summary.json).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } parmana_timespec;
  int clock_gettime(int clk_id, parmana_timespec *tp);
]]
local ts = ffi.new("parmana_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local token = os.getenv("PARMANA_TOKEN")
local out = os.getenv("OVERLOAD_OUT") or "."

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  sent_at = 0
  -- unique across threads, phases and runs: no request is a replay of another
  prefix = string.format("o%s_%d_%d_", os.getenv("OVERLOAD_PHASE") or "", id, os.time())
  admitted_us = {}   -- latency of each 201, microseconds
  admitted_ids = {}  -- execution_id of each 201
  refused = 0        -- 503 overloaded
  refused_us_max = 0
  other = {}         -- any other status: count by status
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"policy_id":"payments.release","signals":{"payment_id":"%s%d","amount":%d,"currency":"EUR","kyc_verified":true}}',
    prefix, counter, 10 + counter % 1000)
  sent_at = now_us()
  return wrk.format("POST", "/v1/decisions",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local us = now_us() - sent_at
  if status == 201 then
    admitted_us[#admitted_us + 1] = us
    admitted_ids[#admitted_ids + 1] = string.match(body, '"execution_id":"([^"]+)"') or "?"
  elseif status == 503 then
    refused = refused + 1
    if us > refused_us_max then refused_us_max = us end
  else
    other[status] = (other[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local lat = io.open(out .. "/admitted.txt", "w")
  local refusedTotal, refusedMax, others = 0, 0, {}
  for _, t in ipairs(threads) do
    local us, ids = t:get("admitted_us"), t:get("admitted_ids")
    for i = 1, #us do lat:write(string.format("%.1f %s\n", us[i], ids[i])) end
    refusedTotal = refusedTotal + t:get("refused")
    refusedMax = math.max(refusedMax, t:get("refused_us_max"))
    for s, n in pairs(t:get("other")) do others[s] = (others[s] or 0) + n end
  end
  lat:close()
  local parts = {}
  for s, n in pairs(others) do parts[#parts + 1] = string.format('"%d": %d', s, n) end
  local f = io.open(out .. "/summary.json", "w")
  f:write(string.format(
    '{"requests": %d, "seconds": %.3f, "refused_503": %d, "refused_max_us": %.1f, "other_status": {%s}, "socket_errors": %d, "p99_all_us": %.1f}\n',
    summary.requests, summary.duration / 1e6, refusedTotal, refusedMax, table.concat(parts, ", "),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(99)))
  f:close()
end
