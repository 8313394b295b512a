-- ARGV: prefix, bucket, now, requests, seconds. Returns the window's start when full.
local key = P .. 'rl:' .. ARGV[2]
local now, requests, seconds = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local w = redis.call('HMGET', key, 'start', 'count')
local start, count = w[1] or now, tonumber(w[2] or '0')
if tonumber(now) - tonumber(start) >= seconds then
  start, count = now, 0
end
if count >= requests then return start end
redis.call('HSET', key, 'start', start, 'count', count + 1)
return false
