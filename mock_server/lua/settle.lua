-- ARGV: prefix, account, now, refund. Returns the account after, or nothing.
local akey = P .. 'a:' .. ARGV[2]
if redis.call('EXISTS', akey) == 0 then return false end
settle(ARGV[2], ARGV[3], ARGV[4])
return redis.call('HGETALL', akey)
