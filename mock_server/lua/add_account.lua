-- ARGV: prefix, account, then name/value pairs of its wallet.
local akey = P .. 'a:' .. ARGV[2]
if redis.call('EXISTS', akey) == 1 then return redis.error_reply('account exists') end
redis.call('HSET', akey, unpack(ARGV, 3))
redis.call('ZADD', P .. 'accounts', redis.call('INCR', P .. 'seq'), ARGV[2])
return true
