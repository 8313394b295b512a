-- ARGV: prefix, account, task id, now, retention cutoff (now - task_ttl), refund.
local acct, id, now, cutoff, refund = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local tkey = P .. 't:' .. id
local f = redis.call('HMGET', tkey, 'account_id', 'finishes_at', 'created_at',
  'queued_polls', 'processing_polls', 'processing_at')
if f[1] ~= acct then return false end
local t = tonumber(now)
local finishes = tonumber(f[2])
if not (t < finishes or tonumber(f[3]) > tonumber(cutoff)) then return false end
local polls = redis.call('HINCRBY', tkey, 'polls', 1)
if f[4] ~= '' then
  local queued = tonumber(f[4])
  if polls > queued and tonumber(f[6]) == math.huge then
    redis.call('HSET', tkey, 'processing_at', now)
  end
  if f[5] ~= '' and finishes == math.huge and polls > queued + tonumber(f[5]) then
    redis.call('HSET', tkey, 'finishes_at', now)
    redis.call('ZADD', P .. 'due:' .. acct, now, id)
  end
end
settle(acct, now, refund)
return redis.call('HGETALL', tkey)
