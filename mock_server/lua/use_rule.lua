-- ARGV: prefix, kind, id, times ('' for no limit). Returns 1 when the use is counted.
local kind, id, times = ARGV[2], ARGV[3], ARGV[4]
if not redis.call('ZSCORE', P .. 'r:order:' .. kind, id) then return 0 end
local used = tonumber(redis.call('HGET', P .. 'r:used', id) or '0')
if times ~= '' and used >= tonumber(times) then return 0 end
used = redis.call('HINCRBY', P .. 'r:used', id, 1)
if times ~= '' and used >= tonumber(times) then
  redis.call('ZREM', P .. 'r:order:' .. kind, id)
  redis.call('HDEL', P .. 'r:' .. kind, id)
  redis.call('INCR', P .. 'r:v')
end
return 1
