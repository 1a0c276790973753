import { describe, it, expect, beforeEach } from "vitest";
import { createStore } from "../lib/store";
import { loadLinks, type KeyValue } from "../lib/links";
import { initialView, type PadView, type ViewAccess } from "./view";
import { clip, PadOwner, type OwnerClient } from "./owner";
import type { Controls, LinkRole } from "../lib/protocol";

class MapStorage implements KeyValue {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

class FakeClient implements OwnerClient {
  sent: unknown[] = [];
  setControls(c: Partial<Controls>) {
    this.sent.push({ control: c });
    return true;
  }
  rotateLink(role: LinkRole) {
    this.sent.push({ rotate: role });
    return true;
  }
  revokeLink(role: LinkRole) {
    this.sent.push({ revoke: role });
    return true;
  }
  remove(id: string) {
    this.sent.push({ remove: id });
    return true;
  }
}

const O = "O".repeat(32);
const C = "C".repeat(32);
const V = "V".repeat(32);

let store: ReturnType<typeof createStore<PadView>>;
let view: ViewAccess;
let client: FakeClient;
let storage: MapStorage;
let said: string[];
let urls: string[];
let copied: string[];
let copyFails: boolean;
let owner: PadOwner;

beforeEach(() => {
  store = createStore(initialView("p1", "http://h/x/"));
  view = { get: store.get, patch: (p) => store.set((v) => ({ ...v, ...p })) };
  view.patch({ you: "p1", role: "owner" });
  client = new FakeClient();
  storage = new MapStorage();
  said = [];
  urls = [];
  copied = [];
  copyFails = false;
  owner = new PadOwner({
    pad: "p1",
    view,
    client: () => client,
    notify: (t) => said.push(t),
    href: () => "http://h/x/",
    setUrl: (u) => urls.push(u),
    copy: (t) => (copyFails ? Promise.reject(new Error("denied")) : (copied.push(t), Promise.resolve())),
    storage,
  });
});

describe("PadOwner", () => {
  it("keeps the links of a pad it made and puts the owner's link in the URL", () => {
    owner.created({ owner: O, candidate: C, observer: V });
    expect(loadLinks("p1", storage)).toEqual({ owner: O, candidate: C, observer: V });
    expect(urls).toEqual([`http://h/x/#p1/${O}`]);
    expect(store.get().link).toBe(`http://h/x/#p1/${O}`);
    expect(owner.link("candidate")).toBe(`http://h/x/#p1/${C}`);
    expect(owner.link("observer")).toBe(`http://h/x/#p1/${V}`);
  });

  it("shows the links kept here after a reload, and keeps the owner key it came with", () => {
    owner.created({ owner: O, candidate: C, observer: V });
    view.patch({ links: null });
    owner.welcome("owner", O);
    expect(store.get().links).toEqual({ owner: O, candidate: C, observer: V });
    // another browser, the owner link by mail: only that key
    const other = new MapStorage();
    const o2 = new PadOwner({ ...ownerOpts(), storage: other });
    o2.welcome("owner", O);
    expect(store.get().links).toEqual({ owner: O, candidate: null, observer: null });
    expect(loadLinks("p1", other).owner).toBe(O);
  });

  it("keeps no links for other roles", () => {
    owner.created({ owner: O, candidate: C, observer: V });
    owner.welcome("candidate", C);
    expect(store.get().links).toBeNull();
  });

  it("follows links messages", () => {
    owner.created({ owner: O, candidate: C, observer: V });
    const n = "N".repeat(32);
    owner.linkChanged("candidate", n, "p1");
    expect(owner.link("candidate")).toBe(`http://h/x/#p1/${n}`);
    expect(said).toEqual([]); // this page asked
    owner.linkChanged("observer", null, "p7");
    expect(owner.link("observer")).toBeNull();
    expect(loadLinks("p1", storage).observer).toBeNull();
    expect(said).toEqual(["Another interviewer withdrew the observer link."]);
  });

  it("copies a role's link, or says it has none", async () => {
    owner.created({ owner: O, candidate: C, observer: V });
    await owner.copy("candidate");
    expect(copied).toEqual([`http://h/x/#p1/${C}`]);
    expect(said).toEqual(["Candidate link copied."]);
    owner.linkChanged("observer", null, "p1");
    await owner.copy("observer");
    expect(said[1]).toBe("This browser does not have the observer link: make a new one.");
    copyFails = true;
    await owner.copy("owner");
    expect(said[2]).toBe(`Copy this interviewer link: http://h/x/#p1/${O}`);
  });

  it("sends the title only when it changed, clipped to 200 bytes", () => {
    view.patch({ controls: { ...store.get().controls, title: "Two sum" } });
    owner.setTitle("  Two sum ");
    expect(client.sent).toEqual([]);
    owner.setTitle("é".repeat(150));
    expect(client.sent).toEqual([{ control: { title: "é".repeat(100) } }]);
  });

  it("rotates, revokes and removes, but not an owner", () => {
    view.patch({
      people: [
        { id: "p1", name: "Grace", color: "#000", you: true, role: "owner" },
        { id: "p2", name: "Ada", color: "#000", you: false, role: "candidate" },
        { id: "p3", name: "Alan", color: "#000", you: false, role: "owner" },
      ],
    });
    owner.rotate("candidate");
    owner.revoke("observer");
    owner.remove("p2");
    owner.remove("p3");
    owner.remove("p1");
    owner.remove("p9");
    expect(client.sent).toEqual([{ rotate: "candidate" }, { revoke: "observer" }, { remove: "p2" }]);
    expect(said).toEqual(["An interviewer cannot be removed."]);
  });
});

function ownerOpts() {
  return {
    pad: "p1",
    view,
    client: () => client,
    notify: (t: string) => said.push(t),
    href: () => "http://h/x/",
    setUrl: (u: string) => urls.push(u),
    copy: () => Promise.resolve(),
  };
}

describe("clip", () => {
  it("cuts at whole characters", () => {
    expect(clip("abc", 2)).toBe("ab");
    expect(clip("aé", 2)).toBe("a");
    expect(clip("a😀b", 5)).toBe("a😀");
    expect(clip("short", 200)).toBe("short");
  });
});
