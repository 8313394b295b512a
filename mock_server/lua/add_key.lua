-- ARGV: prefix, secret, the key as JSON. Replaces a key with the same secret in place.
redis.call('SET', P .. 'k:' .. ARGV[2], ARGV[3])
redis.call('ZADD', P .. 'keys', 'NX', redis.call('INCR', P .. 'seq'), ARGV[2])
return true
