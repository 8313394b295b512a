-- Shared by every step: ARGV[1] is the namespace prefix of every key.
local P = ARGV[1]

-- Charge or refund the account's unsettled tasks whose outcome is due by now.
local function settle(acct, now, refund)
  local due = P .. 'due:' .. acct
  local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now)
  if #ids == 0 then return end
  redis.call('ZREMRANGEBYSCORE', due, '-inf', now)
  local akey = P .. 'a:' .. acct
  for _, id in ipairs(ids) do
    local tkey = P .. 't:' .. id
    local t = redis.call('HMGET', tkey, 'settled', 'outcome', 'charge', 'reserved_credits')
    if t[1] == '0' then
      local reserved = tonumber(t[4])
      local spent = 0
      local final = 0
      if t[2] == 'succeeded' then
        spent = tonumber(t[3])
        final = spent
      elseif refund ~= '1' then
        spent = reserved
      end
      redis.call('HINCRBY', akey, 'reserved', -reserved)
      redis.call('HINCRBY', akey, 'spent', spent)
      redis.call('HINCRBY', akey, 'balance', reserved - spent)
      redis.call('HINCRBY', akey, 'refunded', reserved - spent)
      redis.call('HSET', tkey, 'settled', '1', 'final_credits', final)
    end
  end
end
