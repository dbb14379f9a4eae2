import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RangeTracker, mapRange, type TextChange } from "../../src/editor/rangeTracker.js";

const r = (start: number, end: number) => ({ start, end, data: "t" });
const ins = (offset: number, text: string): TextChange => ({ offset, deleted: 0, inserted: text.length });
const del = (offset: number, length: number): TextChange => ({ offset, deleted: length, inserted: 0 });

test("insertions before the range move it; at its start too", () => {
  assert.deepEqual(mapRange(r(10, 20), ins(3, "abc")), r(13, 23));
  assert.deepEqual(mapRange(r(10, 20), ins(10, "abc")), r(13, 23));
});

test("insertions after the range, or at its end, leave it alone", () => {
  assert.deepEqual(mapRange(r(10, 20), ins(25, "abc")), r(10, 20));
  assert.deepEqual(mapRange(r(10, 20), ins(20, "abc")), r(10, 20));
});

test("edits inside the range grow or shrink it", () => {
  assert.deepEqual(mapRange(r(10, 20), ins(15, "abc")), r(10, 23));
  assert.deepEqual(mapRange(r(10, 20), del(12, 5)), r(10, 15));
  assert.deepEqual(mapRange(r(10, 20), { offset: 12, deleted: 2, inserted: 7 }), r(10, 25));
});

test("deletions overlapping an edge cut the range down", () => {
  assert.deepEqual(mapRange(r(10, 20), del(5, 10)), r(5, 10));
  assert.deepEqual(mapRange(r(10, 20), del(15, 10)), r(10, 15));
  // A replacement over the start: the new text is not the teacher's.
  assert.deepEqual(mapRange(r(10, 20), { offset: 8, deleted: 4, inserted: 3 }), r(11, 19));
});

test("text replacing the end of the range is not part of it", () => {
  assert.deepEqual(mapRange(r(0, 5), { offset: 1, deleted: 4, inserted: 1 }), r(0, 1));
});

test("a range whose text is deleted vanishes", () => {
  assert.equal(mapRange(r(10, 20), del(10, 10)), undefined);
  assert.equal(mapRange(r(10, 20), del(0, 50)), undefined);
  assert.equal(mapRange(r(10, 20), { offset: 10, deleted: 10, inserted: 10 }), undefined);
});

test("tracker: multi-cursor changes of one event, sorted last to first", () => {
  const t = new RangeTracker<string>();
  t.add(10, 20, "a");
  t.add(30, 40, "b");
  t.apply([ins(5, "xx"), ins(35, "yyy"), del(25, 2)]);
  assert.deepEqual(t.all.map((x) => [x.start, x.end, x.data]), [[12, 22, "a"], [30, 43, "b"]]);
  assert.equal(t.at(12)?.data, "a");
  assert.equal(t.at(22), undefined);
});

/**
 * Property, against a model of marked characters: text inserted between two surviving marked
 * characters becomes part of the range (edits inside grow it); other inserted text does not.
 */
test("property: the range always covers exactly the surviving marked characters", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 1, max: 10 }),
      fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), del: fc.integer({ min: 0, max: 6 }), ins: fc.integer({ min: 0, max: 6 }) }), { maxLength: 12 }),
      (before, length, edits) => {
        // Characters: 1 = in the range, 0 = not.
        let doc: number[] = [...Array(before).fill(0), ...Array(length).fill(1), ...Array(10).fill(0)];
        const t = new RangeTracker<string>();
        t.add(before, before + length, "t");
        for (const e of edits) {
          const offset = Math.floor(e.at * (doc.length + 1));
          const deleted = Math.min(e.del, doc.length - offset);
          const enclosed = doc.slice(0, offset).includes(1) && doc.slice(offset + deleted).includes(1);
          doc = [...doc.slice(0, offset), ...Array(e.ins).fill(enclosed ? 1 : 0), ...doc.slice(offset + deleted)];
          t.apply([{ offset, deleted, inserted: e.ins }]);
        }
        const marked = doc.map((c, i) => (c === 1 ? i : -1)).filter((i) => i >= 0);
        const range = t.all[0];
        if (marked.length === 0) {
          assert.equal(range, undefined);
        } else {
          assert.ok(range, "range vanished while teacher text survives");
          assert.equal(range.start, marked[0]);
          assert.equal(range.end, marked[marked.length - 1] + 1);
        }
      },
    ),
    { numRuns: Number(process.env.RELAY_PROPERTY_RUNS ?? 5000) },
  );
});
