-- ARGV: prefix, kind, id, place, fields as JSON. Undoes one use; keeps a rule that went.
local kind, id = ARGV[2], ARGV[3]
if tonumber(redis.call('HINCRBY', P .. 'r:used', id, -1)) < 0 then
  redis.call('HSET', P .. 'r:used', id, 0)
end
if not redis.call('ZSCORE', P .. 'r:order:' .. kind, id) then
  redis.call('ZADD', P .. 'r:order:' .. kind, ARGV[4], id)
  redis.call('HSET', P .. 'r:' .. kind, id, ARGV[5])
  redis.call('INCR', P .. 'r:v')
end
return true
