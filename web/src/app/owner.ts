// What an owner does to the pad beyond editing it: the controls (title,
// locks, end, replay), the links (kept in this browser, copied, rotated,
// revoked) and removing a participant.  The daemon confirms each change
// by a broadcast (`control`, `links`, `leave`); the view follows those,
// not the request.
import type { PadClient } from "../lib/padClient";
import type { Controls, LinkRole, Links, Role } from "../lib/protocol";
import { loadLinks, NO_LINKS, saveLinks, updateLink, type KeyValue, type KnownLinks } from "../lib/links";
import { padLink } from "../lib/padId";
import { ROLE_NAMES } from "./roles";
import type { Notify } from "./toasts";
import type { ViewAccess } from "./view";

export type OwnerClient = Pick<PadClient, "setControls" | "rotateLink" | "revokeLink" | "remove">;

export interface PadOwnerOptions {
  pad: string;
  view: ViewAccess;
  client: () => OwnerClient | null;
  notify: Notify;
  href: () => string; // the page's address, for links
  setUrl: (url: string) => void; // replace the address bar's URL (no reload)
  copy: (text: string) => Promise<void>; // the clipboard
  storage?: KeyValue | null; // default localStorage
}

export class PadOwner {
  constructor(private readonly opts: PadOwnerOptions) {}

  private get store(): KeyValue | null | undefined {
    return this.opts.storage;
  }

  // A welcome: an owner sees the links this browser keeps, and keeps the
  // owner key it joined with (it may have come by mail from the pad's maker).
  welcome(role: Role, key: string | null): void {
    if (role !== "owner") {
      this.opts.view.patch({ links: null });
      return;
    }
    let links = loadLinks(this.opts.pad, this.store);
    if (key && links.owner !== key) links = updateLink(this.opts.pad, "owner", key, this.store);
    this.opts.view.patch({ links });
  }

  // This page made the pad: the only time the daemon tells the keys.  From
  // now on the address bar holds the owner's link.
  created(links: Links): void {
    const known: KnownLinks = { ...NO_LINKS, ...links };
    saveLinks(this.opts.pad, known, this.store);
    const url = padLink(this.opts.pad, this.opts.href(), links.owner);
    this.opts.setUrl(url);
    this.opts.view.patch({ links: known, link: url });
  }

  // A `links` message (to every owner): a role's new key, or none.
  linkChanged(role: LinkRole, key: string | null, by: string): void {
    const links = updateLink(this.opts.pad, role, key, this.store);
    this.opts.view.patch({ links });
    if (by !== this.opts.view.get().you)
      this.opts.notify(`Another interviewer ${key ? "replaced" : "withdrew"} the ${ROLE_NAMES[role]} link.`, "info");
  }

  // The link of a role, or null when this browser does not have its key.
  link(role: keyof Links): string | null {
    const key = this.opts.view.get().links?.[role];
    return key ? padLink(this.opts.pad, this.opts.href(), key) : null;
  }

  async copy(role: keyof Links): Promise<void> {
    const link = this.link(role);
    if (!link) {
      this.opts.notify(
        role === "owner"
          ? "This browser does not have the interviewer link."
          : `This browser does not have the ${ROLE_NAMES[role]} link: make a new one.`,
        "info",
      );
      return;
    }
    try {
      await this.opts.copy(link);
      this.opts.notify(`${capital(ROLE_NAMES[role])} link copied.`, "info");
    } catch {
      this.opts.notify(`Copy this ${ROLE_NAMES[role]} link: ${link}`, "info");
    }
  }

  rotate(role: LinkRole): void {
    this.opts.client()?.rotateLink(role);
  }

  revoke(role: LinkRole): void {
    this.opts.client()?.revokeLink(role);
  }

  setControls(c: Partial<Controls>): void {
    this.opts.client()?.setControls(c);
  }

  // The title as typed: at most 200 bytes, trimmed; sent when it changed.
  setTitle(title: string): void {
    const t = clip(title.trim(), 200);
    if (t !== this.opts.view.get().controls.title) this.setControls({ title: t });
  }

  remove(id: string): void {
    const p = this.opts.view.get().people.find((x) => x.id === id);
    if (!p || p.you) return;
    if (p.role === "owner") {
      this.opts.notify("An interviewer cannot be removed.", "info");
      return;
    }
    this.opts.client()?.remove(id);
  }
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// The longest prefix of s of at most `max` bytes of UTF-8, whole characters.
export function clip(s: string, max: number): string {
  const enc = new TextEncoder();
  if (enc.encode(s).length <= max) return s;
  let out = "";
  let n = 0;
  for (const ch of s) {
    const b = enc.encode(ch).length;
    if (n + b > max) break;
    out += ch;
    n += b;
  }
  return out;
}
