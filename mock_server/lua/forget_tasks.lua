-- ARGV: prefix, cutoff (now - ttl), limit. Drops settled tasks older than the cutoff and
-- the oldest settled past the limit; stops at the first young task once under the limit.
local cutoff, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local kept = redis.call('ZCARD', P .. 'tasks')
local dropped, from = 0, 0
while true do
  local ids = redis.call('ZRANGE', P .. 'tasks', from, from + 199)
  if #ids == 0 then return dropped end
  for _, id in ipairs(ids) do
    local tkey = P .. 't:' .. id
    local f = redis.call('HMGET', tkey, 'created_at', 'settled')
    if kept <= limit and tonumber(f[1]) > cutoff then return dropped end
    if f[2] == '1' then
      redis.call('DEL', tkey)
      redis.call('ZREM', P .. 'tasks', id)
      kept = kept - 1
      dropped = dropped + 1
      from = from - 1
    end
  end
  from = from + #ids
end
