-- ARGV: prefix, account, credits. Returns the account after, or an error reply.
local akey = P .. 'a:' .. ARGV[2]
local credits = tonumber(ARGV[3])
if redis.call('EXISTS', akey) == 0 then return redis.error_reply('no such account') end
if tonumber(redis.call('HGET', akey, 'balance')) + credits < 0 then
  return redis.error_reply('the balance cannot go below zero')
end
redis.call('HINCRBY', akey, 'balance', credits)
redis.call('HINCRBY', akey, 'granted', credits)
return redis.call('HGETALL', akey)
