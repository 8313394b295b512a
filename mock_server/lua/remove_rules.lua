-- ARGV: prefix, kind, id ('' for every rule of the kind). Returns how many went.
local kind, id = ARGV[2], ARGV[3]
local order = P .. 'r:order:' .. kind
local gone
if id == '' then
  gone = redis.call('ZCARD', order)
  redis.call('DEL', order, P .. 'r:' .. kind)
else
  gone = redis.call('ZREM', order, id)
  redis.call('HDEL', P .. 'r:' .. kind, id)
end
redis.call('INCR', P .. 'r:v')
return gone
