/**
 * The Lua scripts of the Redis recovery window (docs/protocol/recovery.md §5). Each runs
 * atomically in Redis, so the offset, the kept entry and the publication of one message can
 * never be separated or reordered against another publish.
 *
 * Keys of a stream: KEYS[1] the meta hash (`e` epoch, `t` last offset given out), KEYS[2] the
 * list of kept entries (the cluster message with its position, oldest first).
 */

/**
 * Publishes a batch of messages, each to its own stream, in order. KEYS: per message its
 * stream's two keys. ARGV: 1 epoch to use for a stream that has none (lost or new), 2 most kept
 * entries, 3 seconds the entries live after the last publish, 4 seconds the position lives
 * after it, 5 the publication's prefix, then per message: the message encoded without its
 * position and closing bracket, and the channel.
 * Returns per message { epoch, offset, receivers }, flattened.
 *
 * Under load one script call serves every publish that waited for a free call
 * (redis_publish_queue.ts): an EVALSHA's fixed cost is paid once per batch, not per message.
 */
export const PUBLISH_SCRIPT = `
local offer, most, life, poslife, prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local out = {}
for i = 1, #KEYS / 2 do
  local meta, list = KEYS[2 * i - 1], KEYS[2 * i]
  local epoch = redis.call('HGET', meta, 'e')
  if not epoch then
    epoch = offer
    redis.call('HSET', meta, 'e', epoch)
    redis.call('DEL', list)
  end
  local offset = redis.call('HINCRBY', meta, 't', 1)
  local entry = ARGV[4 + 2 * i] .. ',"' .. epoch .. '",' .. offset .. ']'
  if redis.call('RPUSH', list, entry) > most then redis.call('LTRIM', list, -most, -1) end
  redis.call('EXPIRE', list, life)
  redis.call('EXPIRE', meta, poslife)
  out[3 * i - 2] = epoch
  out[3 * i - 1] = offset
  out[3 * i] = redis.call('PUBLISH', ARGV[5 + 2 * i], prefix .. entry)
end
return out
`;

/**
 * ARGV: 1 epoch to use if the stream has none, 2 seconds a new position lives, 3 the epoch the
 * client saw, 4 the offset it saw (-1: only the position is wanted).
 * Returns { epoch, last offset, first kept offset, entries after the client's offset } — the
 * entries only when the epoch matches and the list still holds the offset after the client's.
 */
export const SINCE_SCRIPT = `
if redis.call('HSETNX', KEYS[1], 'e', ARGV[1]) == 1 then
  redis.call('DEL', KEYS[2])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
local epoch = redis.call('HGET', KEYS[1], 'e')
local top = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
local first = top - redis.call('LLEN', KEYS[2]) + 1
local from = tonumber(ARGV[4])
if ARGV[3] ~= epoch or from < 0 or from > top or from + 1 < first then
  return {epoch, top, first, {}}
end
return {epoch, top, first, redis.call('LRANGE', KEYS[2], from + 1 - first, -1)}
`;
