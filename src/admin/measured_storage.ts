/**
 * Times every storage operation for `/metrics` without the drivers knowing about metrics: the
 * server hands the core this wrapper instead of the driver itself. Synchronous members
 * (`isAvailable`, `description`) pass through untouched.
 */
import type { Storage } from "../storage/storage.ts";

/** `record(ms, failed)` is called once per settled storage promise. */
export function measureStorage(
  storage: Storage,
  record: (ms: number, failed: boolean) => void,
): Storage {
  const timed = new Map<PropertyKey, unknown>();
  return new Proxy(storage, {
    get(target, prop) {
      const member = Reflect.get(target, prop, target);
      if (typeof member !== "function") return member;
      let wrapper = timed.get(prop);
      if (wrapper === undefined) {
        wrapper = (...args: unknown[]) => {
          const started = performance.now();
          // Looked up per call (tests may replace a method) and called on the driver itself, so
          // drivers with #private fields keep working.
          const current = Reflect.get(target, prop, target) as (...a: unknown[]) => unknown;
          const result = current.apply(target, args);
          if (!(result instanceof Promise)) return result;
          return result.then(
            (value) => {
              record(performance.now() - started, false);
              return value;
            },
            (error) => {
              record(performance.now() - started, true);
              throw error;
            },
          );
        };
        timed.set(prop, wrapper);
      }
      return wrapper;
    },
  });
}
