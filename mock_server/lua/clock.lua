-- ARGV: prefix, how ('get', 'advance', 'set' or 'start'), value. Moves the shared virtual time
-- forward (never back) and returns it; 'start' sets it only when there is none yet.
local key = P .. 'clock'
local how, value = ARGV[2], ARGV[3]
local now = redis.call('HGET', key, 'now')
if how == 'start' then
  if not now then redis.call('HSET', key, 'now', value); return value end
  return now
end
if not now then return redis.error_reply('no clock') end
if how == 'get' then return now end
if how == 'advance' then
  local target = tonumber(now) + tonumber(value)
  redis.call('HSET', key, 'now', string.format('%.17g', target))
  return redis.call('HGET', key, 'now')
end
if tonumber(value) < tonumber(now) then return redis.error_reply('the clock only moves forward') end
redis.call('HSET', key, 'now', value)
return value
