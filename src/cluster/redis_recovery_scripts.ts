/**
 * The Lua scripts of the Redis recovery window (docs/protocol/recovery.md §5). Each runs
 * atomically in Redis, so the offset, the kept entry and the publication of one message can
 * never be separated or reordered against another publish.
 *
 * Keys of a stream: KEYS[1] the meta hash (`e` epoch, `t` last offset given out), KEYS[2] the
 * list of kept entries (the cluster message with its position, oldest first).
 */

/**
 * ARGV: 1 epoch to use if the stream has none (lost or new), 2 the message encoded without its
 * position and closing bracket, 3 the channel, 4 most kept entries, 5 seconds the entries live
 * after the last publish, 6 seconds the position lives after it, 7 the publication's prefix.
 * Returns { epoch, offset, receivers }.
 */
export const PUBLISH_SCRIPT = `
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'e', epoch)
  redis.call('DEL', KEYS[2])
end
local offset = redis.call('HINCRBY', KEYS[1], 't', 1)
local entry = ARGV[2] .. ',"' .. epoch .. '",' .. offset .. ']'
local kept = redis.call('RPUSH', KEYS[2], entry)
if kept > tonumber(ARGV[4]) then redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1) end
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
local n = redis.call('PUBLISH', ARGV[3], ARGV[7] .. entry)
return {epoch, offset, n}
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
