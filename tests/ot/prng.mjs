// The seeded generator both vector generators draw from (mulberry32): the
// same seed gives the same vectors, byte for byte.
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// rnd() in [0, 1), int(n) in [0, n), pick(xs) one of xs, from one seed
export function draws(seed) {
  const rnd = prng(seed);
  const int = (n) => Math.floor(rnd() * n);
  return { rnd, int, pick: (xs) => xs[int(xs.length)] };
}
