-- ARGV: prefix, account, key secret, key JSON, then the wallet's name/value pairs.
-- Makes the default account and key once per namespace; returns 1 when it made them.
if redis.call('SET', P .. 'init', 1, 'NX') == false then return 0 end
local akey = P .. 'a:' .. ARGV[2]
if redis.call('EXISTS', akey) == 0 then
  redis.call('HSET', akey, unpack(ARGV, 5))
  redis.call('ZADD', P .. 'accounts', redis.call('INCR', P .. 'seq'), ARGV[2])
end
redis.call('SET', P .. 'k:' .. ARGV[3], ARGV[4])
redis.call('ZADD', P .. 'keys', 'NX', redis.call('INCR', P .. 'seq'), ARGV[3])
return 1
