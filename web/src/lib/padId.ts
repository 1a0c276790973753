// Pad ids, link keys and the pad's URLs.
//
// A pad lives at `<site>/#<padId>` (an open pad) or `<site>/#<padId>/<key>`
// (a pad with links: the key says the role, docs/protocol.md "Roles and
// links").  Hash routing keeps the app working under any path prefix, since
// nginx only has to serve index.html at the prefix, and the fragment is
// never sent to a server, so no access log holds a key.  A new id is 16
// random bytes (128 bits) in base64url: 22 characters of [A-Za-z0-9_-],
// which runpad-ws accepts (1 to 64 of those).  A key is 24 random bytes in
// base64url, 32 characters, made by the daemon.

const PAD_ID = /^[A-Za-z0-9_-]{1,64}$/;
const KEY = /^[A-Za-z0-9_-]{32}$/;

export function isPadId(s: string): boolean {
  return PAD_ID.test(s);
}

export function isLinkKey(s: string): boolean {
  return KEY.test(s);
}

export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function newPadId(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  return base64url(random(16));
}

// What a location hash names.
export type PadRef = { pad: string; key: string | null };

// The pad (and key) in a location hash: "#abc", "#/abc", "#abc/<key>".
// "none" for an empty hash (the new-interview screen), "bad" for one that
// names no valid pad id or key.
export function parsePadHash(hash: string): PadRef | "none" | "bad" {
  const s = hash.replace(/^#\/?/, "");
  if (!s) return "none";
  const parts = s.split("/");
  if (parts.length > 2 || !isPadId(parts[0])) return "bad";
  if (parts.length === 1) return { pad: parts[0], key: null };
  return isLinkKey(parts[1]) ? { pad: parts[0], key: parts[1] } : "bad";
}

// The pad id in a location hash, or null when there is none or it is bad.
export function padIdFromHash(hash: string): string | null {
  const r = parsePadHash(hash);
  return typeof r === "object" ? r.pad : null;
}

// The websocket URL of a pad, relative to the page (any path prefix):
// `ws/<pad>` to join, `ws/new/<pad>` to make it (nginx may guard that path).
export function padSocketUrl(padId: string, href: string, create = false): string {
  const u = new URL((create ? "ws/new/" : "ws/") + encodeURIComponent(padId), href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.hash = "";
  u.search = "";
  return u.toString();
}

// The list of templates (plain HTTP, beside the creation socket).
export function templatesUrl(href: string): string {
  const u = new URL("ws/new/templates.json", href);
  u.hash = "";
  u.search = "";
  return u.toString();
}

// The shareable link of a pad, with a key for a pad with links.
export function padLink(padId: string, href: string, key: string | null = null): string {
  const u = new URL(href);
  u.hash = key ? `${padId}/${key}` : padId;
  return u.toString();
}

// The key of a link "#<pad>/<key>", or null without one (or for a hash that
// names no valid pad).
export function linkKeyFromHash(hash: string): string | null {
  const ref = parsePadHash(hash);
  return typeof ref === "object" ? ref.key : null;
}
