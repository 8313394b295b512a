-- ARGV: prefix, how, value. The shared virtual time:
--   'start'   sets it to value when there is none yet; returns it.
--   'get'     returns it.
--   'reserve' claims the next value seconds for an advance: from the end of every advance
--             still under way, so advances from any process add up; returns the time now
--             and the advance's target.
--   'raise'   moves it forward to value (never back); returns it.
local key, pending = P .. 'clock:now', P .. 'clock:pending'
local how, value = ARGV[2], ARGV[3]
local now = redis.call('GET', key)
if how == 'start' then
  if not now then redis.call('SET', key, value); return value end
  return now
end
if not now then return redis.error_reply('no clock') end
if how == 'get' then return now end
if how == 'reserve' then
  local base = math.max(tonumber(now), tonumber(redis.call('GET', pending) or now))
  local target = string.format('%.17g', base + tonumber(value))
  redis.call('SET', pending, target)
  return {now, target}
end
if tonumber(value) > tonumber(now) then
  redis.call('SET', key, value)
  now = value
end
if tonumber(redis.call('GET', pending) or '0') <= tonumber(now) then redis.call('DEL', pending) end
return now
