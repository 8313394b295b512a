-- wrk script: 1 create to 4 polls of tasks created earlier, with the API key and JSON content type.
-- Usage: wrk -t1 -c32 -d10s -s bench/mix.lua http://127.0.0.1:PORT -- <api key> [polls per create]
-- Polls per create is 4 unless given; 0 sends creates only.
-- The last line printed is one JSON object with the totals and latency percentiles (microseconds).

local create_body = '{"model":"grok-imagine","prompt":"a lighthouse at dusk, oil on canvas",'
  .. '"params":{"aspect_ratio":"16:9","enable_pro":"false"}}'
local ring_size = 256
local ids = {}
local count = 0
local next_slot = 1
local sent = 0
local create_headers = {}
local poll_headers = {}
local polls = 4

function init(args)
  local key = args[1] or "rvya_sk_mock_0000000000000000"
  create_headers["Authorization"] = "Bearer " .. key
  create_headers["Content-Type"] = "application/json"
  poll_headers["Authorization"] = "Bearer " .. key
  polls = tonumber(args[2] or "4")
end

function request()
  sent = sent + 1
  if count == 0 or polls == 0 or sent % (polls + 1) == 1 then
    return wrk.format("POST", "/api/v1/generations", create_headers, create_body)
  end
  local id = ids[math.random(count)]
  return wrk.format("GET", "/api/v1/generations/" .. id, poll_headers)
end

function response(status, headers, body)
  if status == 202 then
    local id = string.match(body, '"id":"(task_%x+)"')
    if id then
      ids[next_slot] = id
      next_slot = next_slot % ring_size + 1
      if count < ring_size then count = count + 1 end
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
