/* The sort that stands for the C library's `qsort`/`qsort_r` in the functions ferment
 * differentiates (qsort.rs links it into the module as internal functions named
 * ferment.qsort and ferment.qsort_r, and points those calls at them before inlining).
 * This C file is the source of runtime.ll; regenerate it with
 *   scripts/qsort-runtime.sh
 * after an edit (the plugin embeds the .ll: users link nothing).
 *
 * The library's qsort is opaque: its element moves carry the derivatives, but ferment cannot
 * see them. Here the order is found first on integers only (a stable bottom-up merge sort of
 * element indices, calling the comparator on the elements where they lie), and the elements
 * are then moved once, with memcpy, into that order: the comparisons carry no derivative
 * (the permutation is constant), the moves are plain copies that ferment differentiates like
 * any other (their adjoints move back along the same permutation). */

#include <stdlib.h>
#include <string.h>

typedef int (*cmp_fn)(const void *, const void *);
typedef int (*cmp_r_fn)(const void *, const void *, void *);

/* Sorts the indices `idx[0..n)` by the elements they name; `buf` is scratch of n indices.
 * Returns the array holding the result (idx or buf). */
static inline __attribute__((always_inline)) size_t *order(const char *b, size_t n, size_t size, cmp_fn cmp, cmp_r_fn cmp_r, void *arg,
                     size_t *idx, size_t *buf) {
  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n;
      size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        const void *x = b + idx[j] * size, *y = b + idx[i] * size;
        int c = cmp ? cmp(x, y) : cmp_r(x, y, arg);
        /* stable: an element of the right run goes first only when strictly smaller */
        buf[k++] = c < 0 ? idx[j++] : idx[i++];
      }
      while (i < mid)
        buf[k++] = idx[i++];
      while (j < hi)
        buf[k++] = idx[j++];
    }
    size_t *t = idx;
    idx = buf;
    buf = t;
  }
  return idx;
}

/* Inlined into each entry point, so that `ferment.qsort` holds one indirect call of `cmp` and
 * no branch on `cmp_r`: qsort.rs specializes the entry points per comparator (a copy whose `cmp`
 * is the constant function), which is then a direct call where ferment keeps the sort a call of
 * its own (-ferment-no-inline). */
static inline __attribute__((always_inline)) void sort(void *base, size_t n, size_t size, cmp_fn cmp, cmp_r_fn cmp_r, void *arg) {
  if (n < 2 || size == 0)
    return;
  size_t *mem = (size_t *)malloc(2 * n * sizeof(size_t));
  char *tmp = (char *)malloc(n * size);
  if (!mem || !tmp)
    abort();
  char *b = (char *)base;
  size_t *idx = order(b, n, size, cmp, cmp_r, arg, mem, mem + n);
  for (size_t i = 0; i < n; i++)
    memcpy(tmp + i * size, b + idx[i] * size, size);
  memcpy(b, tmp, n * size);
  free(tmp);
  free(mem);
}

void ferment_qsort_qsort(void *base, size_t n, size_t size, cmp_fn cmp) {
  sort(base, n, size, cmp, 0, 0);
}

void ferment_qsort_qsort_r(void *base, size_t n, size_t size, cmp_r_fn cmp, void *arg) {
  sort(base, n, size, 0, cmp, arg);
}

/* The library's bsearch, for the same reason: the pointer it returns points into `base`, so its
 * shadow is the shadow of `base` at the same offset, which ferment sees once this is inlined
 * (the comparisons carry no derivative). The same probes as glibc's, so the same element is
 * found where several compare equal. */
void *ferment_qsort_bsearch(const void *key, const void *base, size_t n, size_t size, cmp_fn cmp) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const char *p = (const char *)base + mid * size;
    int c = cmp(key, p);
    if (c < 0)
      hi = mid;
    else if (c > 0)
      lo = mid + 1;
    else
      return (void *)p;
  }
  return 0;
}
