/**
 * The Lua scripts of redis_presence.ts. Each runs atomically in Redis, so two nodes changing the
 * same user's connections at once see each other's change: exactly one sees the first
 * connection (online) and exactly one the last (offline). Only nodes whose registration in
 * `<p>nodes` has not expired count.
 */

/**
 * KEYS: nodes, own connection set of the user, own connection set of the tenant, own key set.
 * ARGV: node id, connection id, 1 (add) or -1 (remove), now (ms), prefix, suffix of the user's
 * set (`c:<dev>:<user>`), now (s), seen hash, user id.
 * Returns the user's connections on every live node after the change. Sets, not counters: a
 * change applied twice (once more by a re-registration) counts once.
 */
export const CONNECTION_SCRIPT = `
if tonumber(ARGV[3]) > 0 then
  redis.call('SADD', KEYS[2], ARGV[2])
  redis.call('SADD', KEYS[3], ARGV[2])
  redis.call('SADD', KEYS[4], KEYS[2], KEYS[3])
else
  redis.call('SREM', KEYS[2], ARGV[2])
  redis.call('SREM', KEYS[3], ARGV[2])
end
local total = redis.call('SCARD', KEYS[2])
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[4], '+inf')) do
  if node ~= ARGV[1] then
    total = total + redis.call('SCARD', ARGV[5] .. 'n:' .. node .. ':' .. ARGV[6])
  end
end
if total == 0 and tonumber(ARGV[3]) < 0 then redis.call('HSET', ARGV[8], ARGV[9], ARGV[7]) end
return total
`;

/**
 * KEYS: nodes. ARGV: op, now (ms), prefix, key suffix after `n:<node>:`, this node's id.
 * op `count`: sum of HLEN; `list`: every node's HGETALL, concatenated; `card`: sum of SCARD;
 * `sum`: sum of the other nodes' plain values.
 */
export const READ_SCRIPT = `
local op = ARGV[1]
local total = 0
local list = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf')) do
  local key = ARGV[3] .. 'n:' .. node .. ':' .. ARGV[4]
  if op == 'count' then
    total = total + redis.call('HLEN', key)
  elseif op == 'list' then
    for _, v in ipairs(redis.call('HGETALL', key)) do list[#list + 1] = v end
  elseif op == 'sum' then
    if node ~= ARGV[5] then total = total + tonumber(redis.call('GET', key) or '0') end
  else
    total = total + redis.call('SCARD', key)
  end
end
if op == 'list' then return list end
return total
`;
