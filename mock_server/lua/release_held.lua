-- ARGV: prefix, endpoint id, now. Makes the endpoint's held deliveries due at now;
-- returns how many.
local released = 0
for _, delivery_id in ipairs(redis.call('SMEMBERS', P .. 'w:held')) do
  local dkey = P .. 'w:d:' .. delivery_id
  local found = redis.call('GET', dkey)
  local delivery = found and cjson.decode(found)
  if delivery and delivery['endpoint_id'] == ARGV[2] then
    delivery['held'] = false
    delivery['next_at'] = tonumber(ARGV[3])
    redis.call('SET', dkey, cjson.encode(delivery))
    redis.call('SREM', P .. 'w:held', delivery_id)
    redis.call('ZADD', P .. 'w:due', ARGV[3], delivery_id)
    released = released + 1
  end
end
return released
