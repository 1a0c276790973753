// What an owner's browser keeps of a pad's links, and the creation secret
// (localStorage).  The daemon tells a pad's three keys once, in the
// welcome of the hello that made it, and stores only their hashes, so
// this browser is the only place the candidate's and observer's links can
// be copied from again; a link lost here is replaced by rotating it.
import type { LinkRole, Links } from "./protocol";

// A pad's links as far as this browser knows them: null for a key it does
// not have (made in another browser) or that was revoked.
export type KnownLinks = { [R in keyof Links]: string | null };

export const NO_LINKS: KnownLinks = { owner: null, candidate: null, observer: null };

// The part of Storage these functions use (localStorage, or a Map in tests).
export type KeyValue = Pick<Storage, "getItem" | "setItem" | "removeItem">;

const LINKS = "runpad.links.";
const SECRET = "runpad.createSecret";
const KEY = /^[A-Za-z0-9_-]{32}$/;

function storage(): KeyValue | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage disabled
  }
}

export function loadLinks(pad: string, store: KeyValue | null = storage()): KnownLinks {
  const out = { ...NO_LINKS };
  try {
    const raw: unknown = JSON.parse(store?.getItem(LINKS + pad) ?? "null");
    if (raw && typeof raw === "object") {
      for (const r of ["owner", "candidate", "observer"] as const) {
        const k = (raw as Record<string, unknown>)[r];
        if (typeof k === "string" && KEY.test(k)) out[r] = k;
      }
    }
  } catch {
    /* not ours: start over */
  }
  return out;
}

export function saveLinks(pad: string, links: KnownLinks, store: KeyValue | null = storage()): void {
  try {
    store?.setItem(LINKS + pad, JSON.stringify(links));
  } catch {
    /* full or disabled: the links stay in this page only */
  }
}

// A `links` message: a role's new key, or null after a revoke.
export function updateLink(pad: string, role: LinkRole | "owner", key: string | null, store = storage()): KnownLinks {
  const links = { ...loadLinks(pad, store), [role]: key };
  saveLinks(pad, links, store);
  return links;
}

export function loadSecret(store: KeyValue | null = storage()): string {
  try {
    return store?.getItem(SECRET) ?? "";
  } catch {
    return "";
  }
}

export function saveSecret(secret: string, store: KeyValue | null = storage()): void {
  try {
    if (secret) store?.setItem(SECRET, secret);
    else store?.removeItem(SECRET);
  } catch {
    /* disabled: asked again next time */
  }
}
