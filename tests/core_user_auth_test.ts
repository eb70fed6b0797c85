/**
 * UserAuth on an in-memory SQLite (docs/protocol/websocket.md §5): stored hashes, HS256
 * JWTs signed with `[main] password` + dev_id, revocation, and the hash cache.
 */
import { SignJWT } from "jose";
import { MAX_TOKEN_LENGTH, UserAuth } from "../src/core/user_auth.ts";
import type { Storage } from "../src/storage/storage.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { memoryStorage } from "./helpers/core_node.ts";

const PASSWORD = "CometQLPassword";
const ANONYMOUS = { authorized: false, hash: "" };

function jwt(
  claims: Record<string, unknown>,
  secret: string,
  expiresIn: number | null = 3600,
): Promise<string> {
  const token = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" });
  if (expiresIn !== null) token.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
  return token.sign(new TextEncoder().encode(secret));
}

async function withAuth(
  fn: (auth: UserAuth, storage: Storage, password: { value: string }) => Promise<void>,
): Promise<void> {
  const storage = await memoryStorage();
  const password = { value: PASSWORD };
  try {
    await fn(new UserAuth(storage, () => password.value), storage, password);
  } finally {
    await storage.close();
  }
}

Deno.test("a stored hash authorizes its user only, and serverInfo data is the hash", () =>
  withAuth(async (auth) => {
    await auth.setHash(0, 5, "secret_hash");
    assertEquals(await auth.authenticate(0, 5, "secret_hash"), {
      authorized: true,
      hash: "secret_hash",
    });
    assertEquals(await auth.authenticate(0, 5, "wrong"), ANONYMOUS);
    assertEquals(await auth.authenticate(0, 6, "secret_hash"), ANONYMOUS);
    assertEquals(await auth.authenticate(1, 5, "secret_hash"), ANONYMOUS, "other tenant");
  }));

Deno.test("user id 0 or below, an empty key and an over-long key are anonymous", () =>
  withAuth(async (auth) => {
    await auth.setHash(0, 5, "h");
    assertEquals(await auth.authenticate(0, 0, "h"), ANONYMOUS);
    assertEquals(await auth.authenticate(0, -5, "h"), ANONYMOUS);
    assertEquals(await auth.authenticate(0, 5, ""), ANONYMOUS);
    assertEquals(await auth.authenticate(0, 5, "x".repeat(MAX_TOKEN_LENGTH)), ANONYMOUS);
  }));

Deno.test("hashes are stored: a second UserAuth reads them; deleting removes them", () =>
  withAuth(async (auth, storage) => {
    await auth.setHash(2, 9, "stored");
    assertEquals(await storage.getAuthHash(2, 9), "stored");
    const other = new UserAuth(storage, () => PASSWORD);
    assertEquals(await other.getHash(2, 9), "stored");
    await auth.deleteHash(2, 9);
    assertEquals(await auth.getHash(2, 9), null);
    assertEquals(await auth.authenticate(2, 9, "stored"), ANONYMOUS);
  }));

Deno.test("a JWT signed with password + dev_id for the user authorizes and stores a hash", () =>
  withAuth(async (auth, storage) => {
    const token = await jwt({ user_id: 12 }, `${PASSWORD}3`);
    const result = await auth.authenticate(3, 12, token);
    assert(result.authorized);
    assert(/^[A-Za-z0-9]{32}$/.test(result.hash), result.hash);
    assertEquals(await storage.getAuthHash(3, 12), result.hash);
    // The next login with the same token keeps the stored hash.
    assertEquals(await auth.authenticate(3, 12, token), result);
  }));

Deno.test("a JWT keeps an existing hash", () =>
  withAuth(async (auth) => {
    await auth.setHash(0, 12, "existing");
    const token = await jwt({ user_id: 12 }, `${PASSWORD}0`);
    assertEquals(await auth.authenticate(0, 12, token), { authorized: true, hash: "existing" });
  }));

Deno.test("JWTs for another user, tenant or secret, expired or without exp are refused", () =>
  withAuth(async (auth) => {
    const secret = `${PASSWORD}0`;
    const cases: [string, string][] = [
      ["other user", await jwt({ user_id: 13 }, secret)],
      ["other tenant's secret", await jwt({ user_id: 12 }, `${PASSWORD}1`)],
      ["wrong password", await jwt({ user_id: 12 }, "nope0")],
      ["expired", await jwt({ user_id: 12 }, secret, -10)],
      ["no exp", await jwt({ user_id: 12 }, secret, null)],
      ["user_id as text", await jwt({ user_id: "12" }, secret)],
      ["not a JWT", "a.b.c"],
    ];
    for (const [what, token] of cases) {
      assertEquals(await auth.authenticate(0, 12, token), ANONYMOUS, what);
      assertEquals(await auth.verifyJwt(0, token, 12), false, what);
    }
  }));

Deno.test("a revoked JWT no longer logs in, but its user id can still be read", () =>
  withAuth(async (auth, storage) => {
    const token = await jwt({ user_id: 21 }, `${PASSWORD}0`);
    assertEquals(await auth.verifyJwt(0, token, 21), true);
    await storage.revokeToken(0, token);
    assertEquals(await auth.verifyJwt(0, token, 21), false);
    assertEquals(await auth.authenticate(0, 21, token), ANONYMOUS);
    assertEquals(await auth.verifiedUserId(0, token), 21, "revocation needs the user id");
    assertEquals(await auth.verifiedUserId(0, "a.b.c"), undefined);
  }));

Deno.test("after the password changes, resetSecrets makes old tokens invalid", () =>
  withAuth(async (auth, _storage, password) => {
    const old = await jwt({ user_id: 4 }, `${PASSWORD}0`);
    assertEquals(await auth.verifyJwt(0, old, 4), true);
    password.value = "NewPassword";
    auth.resetSecrets();
    assertEquals(await auth.verifyJwt(0, old, 4), false);
    assertEquals(await auth.verifyJwt(0, await jwt({ user_id: 4 }, "NewPassword0"), 4), true);
  }));
