// Pad ids and the pad link.
//
// A pad lives at `<site>/#<padId>`: hash routing keeps the app working under
// any path prefix, since nginx only has to serve index.html at the prefix.
// A new id is 16 random bytes (128 bits) in base64url: 22 characters of
// [A-Za-z0-9_-], which runpad-ws accepts (1 to 64 of those).

const PAD_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isPadId(s: string): boolean {
  return PAD_ID.test(s);
}

export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function newPadId(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  return base64url(random(16));
}

// The pad id in a location hash ("#abc", "#/abc", "#abc/<key>"), or null
// when there is none or it is not a valid id.
export function padIdFromHash(hash: string): string | null {
  const [id, key] = hash.replace(/^#\/?/, "").split("/", 2);
  if (!id) return null;
  return isPadId(id) && (key === undefined || LINK_KEY.test(key)) ? id : null;
}

// A link's key (docs/protocol.md, "Roles and links"): 32 characters of
// [A-Za-z0-9_-] after the pad id, "#<pad>/<key>"; null without one.
const LINK_KEY = /^[A-Za-z0-9_-]{32}$/;
export function linkKeyFromHash(hash: string): string | null {
  const key = hash.replace(/^#\/?/, "").split("/")[1];
  return key !== undefined && LINK_KEY.test(key) ? key : null;
}

// The websocket URL of a pad, relative to the page (any path prefix).
export function padSocketUrl(padId: string, href: string): string {
  const u = new URL("ws/" + encodeURIComponent(padId), href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.hash = "";
  u.search = "";
  return u.toString();
}

// The shareable link of a pad.
export function padLink(padId: string, href: string): string {
  const u = new URL(href);
  u.hash = padId;
  return u.toString();
}
