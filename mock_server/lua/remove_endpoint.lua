-- ARGV: prefix, endpoint id. Forgets the endpoint and fails its pending deliveries;
-- returns the endpoint as it was, or nothing.
local id = ARGV[2]
local raw = redis.call('GET', P .. 'w:e:' .. id)
if not raw then return false end
local endpoint = cjson.decode(raw)
redis.call('DEL', P .. 'w:e:' .. id)
redis.call('LREM', P .. 'w:ae:' .. endpoint['account_id'], 0, id)
for _, delivery_id in ipairs(redis.call('SMEMBERS', P .. 'w:ed:' .. id)) do
  local dkey = P .. 'w:d:' .. delivery_id
  local found = redis.call('GET', dkey)
  if found then
    local delivery = cjson.decode(found)
    if delivery['state'] == 'pending' then
      delivery['state'] = 'failed'
      redis.call('SET', dkey, cjson.encode(delivery))
      redis.call('ZREM', P .. 'w:due', delivery_id)
      redis.call('SREM', P .. 'w:held', delivery_id)
    end
  end
end
return raw
