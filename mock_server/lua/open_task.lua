-- ARGV: prefix, account, now, refund, slot, idempotency cutoff, idempotency limit,
--       task id, reserved credits, finishes at ('' never), then the task's and the
--       record's fields as one count followed by name/value pairs each.
local acct, now, refund = ARGV[2], ARGV[3], ARGV[4]
local slot, cutoff, limit = ARGV[5], ARGV[6], tonumber(ARGV[7])
local id, reserved, finishes = ARGV[8], tonumber(ARGV[9]), ARGV[10]
settle(acct, now, refund)
if slot ~= '' then
  local old = redis.call('ZRANGEBYSCORE', P .. 'idem', '-inf', cutoff)
  for _, gone in ipairs(old) do redis.call('DEL', P .. 'i:' .. gone) end
  if #old > 0 then redis.call('ZREMRANGEBYSCORE', P .. 'idem', '-inf', cutoff) end
  local earlier = redis.call('HGETALL', P .. 'i:' .. slot)
  if #earlier > 0 then return {'earlier', earlier} end
end
local akey = P .. 'a:' .. acct
local balance = tonumber(redis.call('HGET', akey, 'balance') or '0')
if balance < reserved then return {'short', tostring(balance)} end
redis.call('HINCRBY', akey, 'balance', -reserved)
redis.call('HINCRBY', akey, 'reserved', reserved)
local at = 11
local count = tonumber(ARGV[at])
local tkey = P .. 't:' .. id
redis.call('HSET', tkey, unpack(ARGV, at + 1, at + count))
redis.call('ZADD', P .. 'tasks', redis.call('INCR', P .. 'seq'), id)
if finishes ~= '' then redis.call('ZADD', P .. 'due:' .. acct, finishes, id) end
if slot ~= '' then
  at = at + count + 1
  count = tonumber(ARGV[at])
  redis.call('HSET', P .. 'i:' .. slot, unpack(ARGV, at + 1, at + count))
  redis.call('ZADD', P .. 'idem', now, slot)
  if redis.call('ZCARD', P .. 'idem') > limit then
    local oldest = redis.call('ZPOPMIN', P .. 'idem')
    redis.call('DEL', P .. 'i:' .. oldest[1])
  end
end
return {'task'}
