-- ARGV: prefix, how ('get', 'advance', 'set' or 'start'), value. Moves the shared virtual
-- time forward (never back) and returns it; 'start' sets it only when there is none yet.
local key = P .. 'clock:now'
local how, value = ARGV[2], ARGV[3]
local now = redis.call('GET', key)
if how == 'start' then
  if not now then redis.call('SET', key, value); return value end
  return now
end
if not now then return redis.error_reply('no clock') end
if how == 'get' then return now end
if how == 'advance' then
  redis.call('SET', key, string.format('%.17g', tonumber(now) + tonumber(value)))
  return redis.call('GET', key)
end
if tonumber(value) < tonumber(now) then return redis.error_reply('the clock only moves forward') end
redis.call('SET', key, value)
return value
