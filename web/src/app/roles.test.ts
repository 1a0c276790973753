import { describe, it, expect } from "vitest";
import { abilities, roleNotices } from "./roles";
import { OPEN_CONTROLS } from "../lib/padClient";

const c = (over: object = {}) => ({ ...OPEN_CONTROLS, ...over });

describe("what a role may do", () => {
  it("lets owners and open-pad editors do everything but the owner's things", () => {
    expect(abilities("owner", c({ locked: true, ended: true, runs_locked: true }))).toEqual({
      edit: true,
      run: true,
      presence: true,
      owner: true,
    });
    expect(abilities("editor", c())).toEqual({ edit: true, run: true, presence: true, owner: false });
  });

  it("lets an observer do nothing, and nobody anything before the welcome", () => {
    const none = { edit: false, run: false, presence: false, owner: false };
    expect(abilities("observer", c())).toEqual(none);
    expect(abilities(null, c())).toEqual(none);
  });

  it("follows the controls for a candidate", () => {
    expect(abilities("candidate", c())).toMatchObject({ edit: true, run: true });
    expect(abilities("candidate", c({ locked: true }))).toMatchObject({ edit: false, run: true });
    expect(abilities("candidate", c({ runs_locked: true }))).toMatchObject({ edit: true, run: false });
    expect(abilities("candidate", c({ ended: true }))).toMatchObject({ edit: false, run: false, presence: true });
  });
});

describe("what the page says about it", () => {
  const texts = (role: Parameters<typeof roleNotices>[0], over: object = {}) =>
    roleNotices(role, c(over)).map((n) => n.text);
  it("tells an observer, always", () => {
    expect(texts("observer")).toEqual(["Observer: read only"]);
    expect(texts("observer", { ended: true })).toEqual(["Observer: read only", "The interview has ended."]);
  });
  it("tells a candidate of each lock, and of the end alone", () => {
    expect(texts("candidate")).toEqual([]);
    expect(texts("candidate", { locked: true })).toEqual(["Editing locked by the interviewer"]);
    expect(texts("candidate", { locked: true, runs_locked: true })).toEqual([
      "Editing locked by the interviewer",
      "Runs locked",
    ]);
    expect(texts("candidate", { locked: true, ended: true })).toEqual(["The interview has ended."]);
  });
  it("tells an owner only that the interview ended", () => {
    expect(texts("owner", { locked: true, runs_locked: true })).toEqual([]);
    expect(texts("owner", { ended: true })).toEqual(["The interview has ended: only interviewers can change the pad."]);
    expect(texts("editor")).toEqual([]);
  });
});
