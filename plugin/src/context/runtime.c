/* The run-time part of Enzyme's global-shadow contexts (`__enzyme_context`,
 * `__enzyme_shadow`, `__enzyme_zero_shadows`, `enzyme_context`), which
 * context/mod.rs links into every module that uses them as internal
 * functions named ferment.ctx.*. This C file is the source of runtime.ll;
 * regenerate it with
 *   scripts/context-runtime.sh
 * after an edit (the plugin embeds the .ll: users link nothing).
 *
 * A context owns, per global variable it has met, `width` lanes of shadow
 * storage, created on first use and kept until the program ends. The
 * compiler describes each global of the translation unit (`struct global`):
 * its address and size, and where its floating-point bytes and pointers
 * lie. A new shadow lane starts as a copy of the global with the float bytes
 * zeroed and each pointer replaced by its shadow in that lane: a pointer
 * into a mutable global points into that global's shadow, a pointer to a
 * function stays, a pointer into other data or to heap memory points into
 * a zeroed block of the same size (one per block and lane; for the heap,
 * the block's usable size: the first pointer met into a block must be its
 * start, later ones may point anywhere into it or just past it). */

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct field {
  long offset;
  long kind; /* 0: float bytes [offset, offset + length); 1: a pointer */
  long length;
};

struct global {
  char *address;
  long size;
  long kind; /* 0: a mutable global of this translation unit, shadowed in
                the context; 1: a function, its own shadow; 2: other data
                (read-only, or defined elsewhere): a zeroed copy */
  long nfields;
  const struct field *fields;
};

struct table {
  long n;
  const struct global *const *globals;
};

struct entry {
  char *address;
  long size;
  const struct global *global;
  char *shadow; /* width * size bytes, lane l at l * size */
};

struct heap_shadow {
  char *primal;
  long lane;
  char *shadow;
  long size;
};

struct context {
  long width;
  const struct table *table;
  long n, capacity;
  struct entry *entries;
  long nheap, heap_capacity;
  struct heap_shadow *heap;
};

static _Thread_local struct context *current;

static void fail(const char *message) {
  write(2, "ferment: ", 9);
  write(2, message, strlen(message));
  write(2, "\n", 1);
  abort();
}

static void *grow(void *p, long *capacity, long size) {
  *capacity = *capacity ? 2 * *capacity : 8;
  p = realloc(p, *capacity * size);
  if (!p)
    fail("out of memory for a global-shadow context");
  return p;
}

void *ferment_ctx_new(int width, const struct table *table) {
  if (width < 1)
    fail("__enzyme_context: the width must be at least 1");
  struct context *c = calloc(1, sizeof *c);
  if (!c)
    fail("out of memory for a global-shadow context");
  c->width = width;
  c->table = table;
  return c;
}

char *ferment_ctx_shadow(struct context *c, const struct global *g, long lane);

/* A zeroed block standing for `size` bytes at `primal` in `lane`. */
static char *zeroed_copy(struct context *c, char *primal, long size, long lane) {
  for (long i = 0; i < c->nheap; i++)
    if (c->heap[i].primal == primal && c->heap[i].lane == lane)
      return c->heap[i].shadow;
  char *s = calloc(size ? size : 1, 1);
  if (!s)
    fail("out of memory for a global-shadow context");
  if (c->nheap == c->heap_capacity)
    c->heap = grow(c->heap, &c->heap_capacity, sizeof *c->heap);
  c->heap[c->nheap++] = (struct heap_shadow){primal, lane, s, size};
  return s;
}

static char *shadow_of_pointer(struct context *c, char *p, long lane) {
  if (!p)
    return p;
  for (long i = 0; i < c->table->n; i++) {
    const struct global *g = c->table->globals[i];
    if (p < g->address || p >= g->address + g->size)
      continue;
    if (g->kind == 1)
      return p;
    if (g->kind == 2)
      return zeroed_copy(c, g->address, g->size, lane) + (p - g->address);
    return ferment_ctx_shadow(c, g, lane) + (p - g->address);
  }
  /* Into (or just past) a heap block met before: a container's end
     pointers, met after its start. */
  for (long i = 0; i < c->nheap; i++) {
    struct heap_shadow *h = &c->heap[i];
    if (h->lane == lane && p >= h->primal && p <= h->primal + h->size)
      return h->shadow + (p - h->primal);
  }
  return zeroed_copy(c, p, malloc_usable_size(p), lane);
}

/* The shadow of global `g` in `lane` of context `c`, created on first use. */
char *ferment_ctx_shadow(struct context *c, const struct global *g, long lane) {
  if (!c)
    fail("__enzyme_shadow or a derivative called with enzyme_context got a null context");
  if (lane < 0 || lane >= c->width)
    fail("__enzyme_shadow: the lane is not below the context's width");
  for (long i = 0; i < c->n; i++)
    if (c->entries[i].address == g->address)
      return c->entries[i].shadow + lane * g->size;
  char *s = malloc(c->width * g->size + 1);
  if (!s)
    fail("out of memory for a global-shadow context");
  if (c->n == c->capacity)
    c->entries = grow(c->entries, &c->capacity, sizeof *c->entries);
  c->entries[c->n++] = (struct entry){g->address, g->size, g, s};
  /* Registered before its pointers are followed: a cycle of globals
     pointing at each other ends here. */
  for (long l = 0; l < c->width; l++) {
    char *lane_shadow = s + l * g->size;
    memcpy(lane_shadow, g->address, g->size);
    for (long k = 0; k < g->nfields; k++) {
      const struct field *f = &g->fields[k];
      if (f->kind == 0) {
        memset(lane_shadow + f->offset, 0, f->length);
      } else {
        char *p;
        memcpy(&p, g->address + f->offset, sizeof p);
        p = shadow_of_pointer(c, p, l);
        memcpy(lane_shadow + f->offset, &p, sizeof p);
      }
    }
  }
  return s + lane * g->size;
}

/* __enzyme_zero_shadows: every float byte of every shadow the context
   holds, and every heap block it made, becomes zero; pointers and integers
   stay. */
void ferment_ctx_zero(struct context *c) {
  if (!c)
    fail("__enzyme_zero_shadows got a null context");
  for (long i = 0; i < c->n; i++) {
    const struct global *g = c->entries[i].global;
    for (long l = 0; l < c->width; l++)
      for (long k = 0; k < g->nfields; k++)
        if (g->fields[k].kind == 0)
          memset(c->entries[i].shadow + l * g->size + g->fields[k].offset, 0,
                 g->fields[k].length);
  }
  for (long i = 0; i < c->nheap; i++)
    memset(c->heap[i].shadow, 0, c->heap[i].size);
}

/* Reverse mode over code that creates a context: the second context that
   holds the adjoints of its shadows is released when the reverse sweep
   passes the creation (context/mod.rs, `free_adjoints`). */
void ferment_ctx_free(struct context *c) {
  if (!c)
    return;
  for (long i = 0; i < c->n; i++)
    free(c->entries[i].shadow);
  for (long i = 0; i < c->nheap; i++)
    free(c->heap[i].shadow);
  free(c->entries);
  free(c->heap);
  free(c);
}

/* Around a derivative called with `enzyme_context, c`: the context the
   derivative (and the derivatives it calls) take global shadows from. */
void *ferment_ctx_enter(struct context *c, long width) {
  if (!c)
    fail("a derivative called with enzyme_context got a null context");
  if (c->width != width)
    fail("a derivative called with enzyme_context has a width other than the context's (__enzyme_context(width))");
  struct context *old = current;
  current = c;
  return old;
}

void ferment_ctx_leave(void *old) { current = old; }

/* Forward mode over code that uses a context (a reverse derivative called
   with one inside the function differentiated): the tangents of a
   context's shadows live in a second context, made current beside it; one
   per tangent lane of a batched forward derivative (`k`, below 64). */
static _Thread_local struct context *current_tangent[64];

void *ferment_ctx_enter_tangent(struct context *tangent, long k) {
  struct context *old = current_tangent[k];
  current_tangent[k] = tangent;
  return old;
}

void ferment_ctx_leave_tangent(void *old, long k) { current_tangent[k] = old; }

char *ferment_ctx_tangent_global(const struct global *g, long lane, long k) {
  if (!current_tangent[k])
    fail("the tangent of a derivative called with enzyme_context runs without its context");
  return ferment_ctx_shadow(current_tangent[k], g, lane);
}

/* Inside such a derivative: the shadow of `g` in `lane`. */
char *ferment_ctx_global(const struct global *g, long lane) {
  if (!current)
    fail("a derivative called with enzyme_context runs in a thread without its context "
         "(an OpenMP parallel region or a thread it started): not supported");
  return ferment_ctx_shadow(current, g, lane);
}
