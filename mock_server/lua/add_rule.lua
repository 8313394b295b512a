-- ARGV: prefix, kind, fields as JSON. Returns the new rule's id and place.
local kind = ARGV[2]
local n = redis.call('INCR', P .. 'r:ids')
local id = kind .. '_' .. n
redis.call('HSET', P .. 'r:' .. kind, id, ARGV[3])
redis.call('ZADD', P .. 'r:order:' .. kind, n, id)
redis.call('INCR', P .. 'r:v')
return {id, n}
