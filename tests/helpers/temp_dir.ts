/** A scratch directory for one test, removed afterwards whether the test passed or not. */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T>,
  prefix = "comet-test-",
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
