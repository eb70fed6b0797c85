/**
 * Browser authorization (docs/protocol/websocket.md §5): HS256 JWTs whose secret is `[main]
 * password` followed by the decimal dev_id, and stored auth hashes (CometQL `users_auth`).
 * Verification uses npm `jose` rather than hand-written crypto.
 */
import { decodeJwt, jwtVerify } from "jose";
import { MAX_TOKEN_BYTES, type Storage } from "../storage/storage.ts";

export interface AuthResult {
  authorized: boolean;
  /** serverInfo `data`: the stored hash (≤ 32 chars), or "" (docs/protocol/websocket.md §5.7). */
  hash: string;
}

/**
 * Tokens of this length or more are refused: the revoked-token column size
 * (docs/protocol/websocket.md §5.2).
 */
export const MAX_TOKEN_LENGTH = MAX_TOKEN_BYTES;
/** The revoked-token column size in bytes, for the transports (they do not import storage). */
export { MAX_TOKEN_BYTES };
const ANONYMOUS: AuthResult = { authorized: false, hash: "" };

export class UserAuth {
  private secrets = new Map<number, Uint8Array>();
  /** `${devId}:${userId}` → stored hash (cache of users_auth, docs/protocol/cometql.md §9.2). */
  private hashes = new Map<string, string>();

  constructor(private storage: Storage, private password: () => string) {}

  async authenticate(devId: number, userId: number, key: string): Promise<AuthResult> {
    if (userId <= 0 || key === "" || key.length >= MAX_TOKEN_LENGTH) return ANONYMOUS;
    if (key.split(".").length === 3 && await this.verifyJwt(devId, key, userId)) {
      let hash = await this.getHash(devId, userId);
      if (!hash) {
        // docs/protocol/websocket.md §5.2: a valid token for a user without a hash stores one.
        hash = randomHash();
        await this.setHash(devId, userId, hash);
      }
      return { authorized: true, hash: hash.slice(0, 32) };
    }
    const stored = await this.getHash(devId, userId);
    if (stored && stored === key) return { authorized: true, hash: stored.slice(0, 32) };
    return ANONYMOUS;
  }

  /** HS256, `exp` required and not passed, numeric `user_id` equal to `userId`, not revoked. */
  async verifyJwt(devId: number, token: string, userId: number): Promise<boolean> {
    const claims = await this.verifiedClaims(devId, token);
    if (!claims || claims.user_id !== userId) return false;
    return !(await this.storage.isTokenRevoked(devId, token));
  }

  /** The user id of a token whose signature and `exp` verify (revocation not checked). */
  async verifiedUserId(devId: number, token: string): Promise<number | undefined> {
    const claims = await this.verifiedClaims(devId, token);
    return typeof claims?.user_id === "number" ? claims.user_id : undefined;
  }

  async getHash(devId: number, userId: number): Promise<string | null> {
    const key = `${devId}:${userId}`;
    const cached = this.hashes.get(key);
    if (cached !== undefined) return cached;
    const stored = await this.storage.getAuthHash(devId, userId);
    if (stored !== null) this.hashes.set(key, stored);
    return stored;
  }

  async setHash(devId: number, userId: number, hash: string): Promise<void> {
    await this.storage.setAuthHash(devId, userId, hash);
    this.hashes.set(`${devId}:${userId}`, hash);
  }

  async deleteHash(devId: number, userId: number): Promise<void> {
    this.hashes.delete(`${devId}:${userId}`);
    await this.storage.deleteAuthHash(devId, userId);
  }

  /** Another node changed the user's hash: the next lookup reads storage. */
  forgetHash(devId: number, userId: number): void {
    this.hashes.delete(`${devId}:${userId}`);
  }

  /** Changes may have been missed (the link to the other nodes was down): read storage again. */
  forgetAllHashes(): void {
    this.hashes.clear();
  }

  /** Forget cached secrets, e.g. after the password was reloaded. */
  resetSecrets(): void {
    this.secrets.clear();
  }

  private async verifiedClaims(devId: number, token: string) {
    if (token.length >= MAX_TOKEN_LENGTH) return undefined;
    try {
      decodeJwt(token); // cheap structural check before the HMAC
      const { payload } = await jwtVerify(token, this.secretOf(devId), {
        algorithms: ["HS256"],
        requiredClaims: ["exp"],
        clockTolerance: 0,
      });
      if (typeof payload.exp !== "number" || payload.exp < 0) return undefined;
      return payload as { user_id?: unknown; exp: number };
    } catch {
      return undefined; // any malformed, unsigned or expired token is simply not valid
    }
  }

  private secretOf(devId: number): Uint8Array {
    let secret = this.secrets.get(devId);
    if (!secret) {
      secret = new TextEncoder().encode(`${this.password()}${devId}`);
      this.secrets.set(devId, secret);
    }
    return secret;
  }
}

function randomHash(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
