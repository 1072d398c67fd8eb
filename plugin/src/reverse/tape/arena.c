/* The tape arena: where ferment's tape helpers (`ferment.tape.take` /
 * `ferment.tape.release`, reverse/tape/buffers.rs) take row buffers of
 * ARENA_MIN_BYTES up to ARENA_MAX_FIRST bytes. scripts/arena-runtime.sh
 * turns this file into arena.ll, which the plugin links into the modules
 * that use the tape cache (x86-64 and AArch64 Linux targets only: the
 * mmap/madvise constants below are theirs).
 *
 * Why: a time loop of forked regions takes one row per fork and thread
 * (omp_stencil: 50 rows of 800 KB per gradient). From glibc these rows
 * live in 4 KiB pages, and the 40 MB written and read back per gradient
 * then miss the TLB all the time. Here they come from one reservation
 * advised to use transparent huge pages (2 MiB) before anything touches
 * it, in the order they are taken, and they stay mapped for the next
 * gradient of the thread.
 *
 * Layout: one reservation of SLICES slices of SLICE bytes, mapped without
 * access (PROT_NONE, MAP_NORESERVE: it costs address space only). A thread
 * claims a free slice on its first take and allocates from it like a
 * stack: each block is a 64-byte header (usable size, the block below it,
 * a freed mark) and its data. The slice is opened for reading and writing
 * from its start as far as its blocks reach, in steps of HUGE_PAGE
 * (`mprotect`): valgrind's leak check scans every readable mapping, and a
 * readable 32 GiB reservation made each run under memcheck scan 32 GiB at
 * exit (tape_sizing.c 2.5 -> 44 s of CPU). A release marks the block
 * freed; the owner pops freed blocks off the top when it next takes or
 * releases, so blocks may be released in any order and by any thread (a
 * reverse team's thread need not be the OS thread that ran the forward).
 * When the slice is empty again, the open part beyond RETAIN_BYTES is
 * given back and closed. At thread exit (where the C library has pthread
 * keys) an empty slice is given back, closed and freed for another thread;
 * a slice with live blocks stays claimed. Whatever cannot be served here
 * (no reservation, no free slice, a full slice, a failed `mprotect`)
 * returns NULL: the caller falls back to the heap. errno is kept across
 * every call. */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLICES 64
#define SLICE ((size_t)512 << 20)
#define HUGE_PAGE ((size_t)2 << 20)
#define HEAD 64
#define RETAIN_BYTES ((size_t)256 << 20)
#define ARENA_MIN_BYTES ((size_t)64 << 10)
#define ARENA_MAX_FIRST ((size_t)4 << 20)
#define FAILED ((char *)1)

/* Every name of the file becomes ferment.arena.v2.<name> in arena.ll (no
 * static: one arena per program, see scripts/arena-runtime.sh). */
#define reservation ferment_arena_reservation
#define claimed ferment_arena_claimed
#define key_state ferment_arena_key_state
#define key ferment_arena_key
#define me ferment_arena_me
#define reserve ferment_arena_reserve
#define settle ferment_arena_settle
#define reach ferment_arena_reach
#define close_from ferment_arena_close_from
#define thread_done ferment_arena_thread_done
#define watch_exit ferment_arena_watch_exit
#define claim ferment_arena_claim
#define push ferment_arena_push
#define in_arena ferment_arena_in_arena
#define mine ferment_arena_mine

#pragma weak pthread_key_create
#pragma weak pthread_setspecific

struct head {
  size_t cap;
  struct head *below;
  int freed;
};

struct arena {
  char *start, *top, *open; /* open: end of the readable, writable part */
  struct head *last;
  int slice;
};

char *reservation;
uint64_t claimed;
int key_state; /* 0 none, 1 being made, 2 made, 3 failed */
pthread_key_t key;
__thread struct arena me;

char *reserve(void) {
  char *b = __atomic_load_n(&reservation, __ATOMIC_ACQUIRE);
  if (b)
    return b == FAILED ? 0 : b;
  size_t bytes = SLICES * SLICE + HUGE_PAGE;
  char *m = mmap(0, bytes, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  char *want = FAILED;
  if (m != MAP_FAILED) {
    want = (char *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    /* Fails where the kernel has no THP: the slices then use 4 KiB pages.
     * The advice stays on the parts `reach` opens later. */
    madvise(want, SLICES * SLICE, MADV_HUGEPAGE);
  }
  char *expected = 0;
  if (!__atomic_compare_exchange_n(&reservation, &expected, want, 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    if (m != MAP_FAILED)
      munmap(m, bytes);
    want = expected;
  }
  return want == FAILED ? 0 : want;
}

/* Opens the thread's slice up to `end` at least (end <= start + SLICE);
 * false where `mprotect` fails. */
int reach(char *end) {
  if (end <= me.open)
    return 1;
  size_t used = (size_t)(end - me.start);
  char *open = me.start + ((used + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
  if (mprotect(me.open, open - me.open, PROT_READ | PROT_WRITE))
    return 0;
  me.open = open;
  return 1;
}

/* Gives back the pages of the open part of the slice from `from` on and
 * closes it again (nothing may live there). Rarely run, but not `cold`:
 * that would put it in `.text.unlikely`, which the linker places before
 * the program's own code, and shift all of that code by its size
 * (gmm_adb: a hot 26-byte loop of the derivative then crossed a 64-byte
 * boundary, 1.09x slower; benches/report/openmp_notes.md). */
__attribute__((noinline)) void close_from(char *from) {
  if (from >= me.open)
    return;
  madvise(from, me.open - from, MADV_DONTNEED);
  if (mprotect(from, me.open - from, PROT_NONE) == 0)
    me.open = from;
}

/* Pops the freed blocks off the top of the thread's slice; once it is
 * empty, gives back and closes the open part beyond RETAIN_BYTES. */
void settle(void) {
  while (me.last && __atomic_load_n(&me.last->freed, __ATOMIC_ACQUIRE)) {
    me.top = (char *)me.last;
    me.last = me.last->below;
  }
  if (!me.last && (size_t)(me.open - me.start) > RETAIN_BYTES)
    close_from(me.start + RETAIN_BYTES);
}

void thread_done(void *unused) {
  (void)unused;
  if (!me.start)
    return;
  settle();
  if (me.last)
    return;
  close_from(me.start);
  __atomic_fetch_and(&claimed, ~((uint64_t)1 << me.slice), __ATOMIC_RELEASE);
  me.start = 0;
}

void watch_exit(void) {
  if (!pthread_key_create || !pthread_setspecific)
    return;
  int s = __atomic_load_n(&key_state, __ATOMIC_ACQUIRE);
  if (s == 0) {
    int zero = 0;
    if (__atomic_compare_exchange_n(&key_state, &zero, 1, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
      s = pthread_key_create(&key, thread_done) == 0 ? 2 : 3;
      __atomic_store_n(&key_state, s, __ATOMIC_RELEASE);
    }
  }
  while ((s = __atomic_load_n(&key_state, __ATOMIC_ACQUIRE)) == 1) {
  }
  if (s == 2)
    pthread_setspecific(key, &me);
}

int claim(void) {
  char *b = reserve();
  if (!b)
    return 0;
  uint64_t used = __atomic_load_n(&claimed, __ATOMIC_RELAXED);
  for (;;) {
    if (used == ~(uint64_t)0)
      return 0;
    int k = __builtin_ctzll(~used);
    if (__atomic_compare_exchange_n(&claimed, &used, used | (uint64_t)1 << k, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
      me.start = me.top = me.open = b + (size_t)k * SLICE;
      me.last = 0;
      me.slice = k;
      watch_exit();
      return 1;
    }
  }
}

/* A block of at least `bytes` on top of the thread's slice, or NULL. */
void *push(size_t bytes) {
  if (!me.start && !claim())
    return 0;
  settle();
  size_t cap = (bytes + 63) & ~(size_t)63;
  size_t room = SLICE - (size_t)(me.top - me.start);
  if (bytes > SLICE || cap + HEAD > room || !reach(me.top + HEAD + cap))
    return 0;
  struct head *h = (struct head *)me.top;
  h->cap = cap;
  h->below = me.last;
  __atomic_store_n(&h->freed, 0, __ATOMIC_RELAXED);
  me.last = h;
  me.top += HEAD + cap;
  return (char *)h + HEAD;
}

int in_arena(void *p) {
  char *b = __atomic_load_n(&reservation, __ATOMIC_ACQUIRE);
  return b && b != FAILED && (char *)p >= b && (char *)p < b + SLICES * SLICE;
}

int mine(void *p) {
  return me.start && (char *)p >= me.start && (char *)p < me.start + SLICE;
}

/* `free(p)` for a block of the arena (true), else false. */
int ferment_arena_release(void *p) {
  if (!p || !in_arena(p))
    return 0;
  int saved = errno;
  struct head *h = (struct head *)((char *)p - HEAD);
  __atomic_store_n(&h->freed, 1, __ATOMIC_RELEASE);
  if (mine(p))
    settle();
  errno = saved;
  return 1;
}

/* `realloc(old, bytes)` where the arena serves it; NULL where it does not
 * (`old` is not an arena block, and a fresh block is outside the sizes the
 * arena takes or does not fit): the caller then goes to the heap. A grown
 * arena block that no longer fits the arena moves to `malloc`. */
void *ferment_arena_take(void *old, size_t bytes) {
  int saved = errno;
  void *r = 0;
  if (!old) {
    if (bytes >= ARENA_MIN_BYTES && bytes < ARENA_MAX_FIRST)
      r = push(bytes);
  } else if (in_arena(old)) {
    struct head *h = (struct head *)((char *)old - HEAD);
    size_t cap = (bytes + 63) & ~(size_t)63;
    if (h->cap >= bytes) {
      r = old;
    } else if (mine(old) && h == me.last && bytes <= SLICE &&
               cap <= SLICE - (size_t)((char *)old - me.start) &&
               reach((char *)old + cap)) {
      /* the top block grows in place */
      h->cap = cap;
      me.top = (char *)old + cap;
      r = old;
    } else {
      r = push(bytes);
      if (!r && !(r = malloc(bytes)))
        abort();
      memcpy(r, old, h->cap);
      ferment_arena_release(old);
    }
  }
  errno = saved;
  return r;
}
