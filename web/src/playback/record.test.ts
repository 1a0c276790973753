import { describe, expect, it } from "vitest";
import { datedUpdates, type HistoryUpdate } from "./record";

describe("datedUpdates", () => {
  it("gives updates stored before times and authors the time before them", () => {
    const ups = [
      { clientID: "x", changes: [[0, "a"]] },
      { clientID: "x", changes: [1, [0, "b"]], t: 5000, a: "p1" },
      { clientID: "x", changes: [2, [0, "c"]] },
    ] as unknown as HistoryUpdate[];
    datedUpdates(ups, 1000);
    expect(ups.map((u) => [u.t, u.a])).toEqual([
      [1000, ""],
      [5000, "p1"],
      [5000, ""],
    ]);
  });
});
