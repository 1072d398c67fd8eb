/* ferment: Enzyme's checkpointed time-loop interface (enzyme/checkpoint.h).
 *
 *   __enzyme_checkpoint_for(step, start, n, enzyme_scheme, &scheme, &config,
 *                           [enzyme_checkpoint_region, p, bytes,]... args...);
 *
 * runs `for (int64_t i = start; i < start + n; i++) step(i, args...);`, and
 *
 *   __enzyme_checkpoint_while(step, [markers...,] args...);
 *
 * runs `int64_t i = 0; while (step(i++, args...));`.
 *
 * What ferment does with them in reverse mode: a checkpoint_for with
 * checkpoint regions (the loop-carried state: every byte the steps write,
 * other than their locals, must lie in one; the compile checks what it can)
 * stores a snapshot of the regions every L steps and recomputes the steps of
 * each segment, last segment first, during the reverse sweep. L is
 * ceil(n / config->snapshots) when that is positive, 1 for
 * EnzymeCkptStoreAll, else -mllvm -ferment-checkpoint=K, else ceil(sqrt(n));
 * EnzymeCkptRevolve gets the same periodic segments. The gradient is exactly
 * the plain loop's. With a `stats` pointer in the configuration, the
 * statistics count the steps run forward (n) and taped (n), the snapshots
 * stored and restored, and their bytes. Without regions, and for
 * checkpoint_while, the loop is differentiated as written, every step taped
 * once (the reference schemes' statistics say so: taped_steps is the number
 * of steps, every other count zero). The scheme's functions are not called.
 *
 * The types keep the layout Enzyme documents, so code written for Enzyme
 * (its own schemes included) compiles unchanged.
 */
#ifndef FERMENT_ENZYME_CHECKPOINT_H
#define FERMENT_ENZYME_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
/* Enzyme's header brings these in, and programs written against it (its
 * ReverseMode/checkpoint_for.c test) call memset without including them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ENZYME_CKPT_ABI_VERSION 1

/* Actions of a checkpointing schedule (Revolve's protocol). */
enum {
  ENZYME_CKPT_NONE = 0,
  ENZYME_CKPT_STORE = 1,
  ENZYME_CKPT_RESTORE = 2,
  ENZYME_CKPT_FORWARD = 3,
  ENZYME_CKPT_FIRSTUTURN = 4,
  ENZYME_CKPT_UTURN = 5,
  ENZYME_CKPT_ERROR = 6,
  ENZYME_CKPT_DONE = 7
};

typedef struct EnzymeCkptAction {
  int32_t flag;
  int64_t iteration;
  int64_t startiteration;
  int64_t cpnum;
} EnzymeCkptAction;

typedef struct EnzymeCkptRegion {
  void *ptr;
  uint64_t bytes;
  uint32_t addrspace;
  uint32_t flags;
} EnzymeCkptRegion;

typedef struct EnzymeCheckpointScheme {
  uint32_t version;
  void *(*init)(void *data, int64_t nsteps, uint64_t snapshot_bytes);
  void (*next_action)(void *state, EnzymeCkptAction *out);
  void (*store)(void *state, int64_t slot, int64_t step, const EnzymeCkptRegion *regions,
                uint64_t nregions);
  void (*restore)(void *state, int64_t slot, int64_t step, const EnzymeCkptRegion *regions,
                  uint64_t nregions);
  void (*set_nsteps)(void *state, int64_t nsteps);
  void (*finalize)(void *state);
  void (*save_state)(void *state, int64_t slot, int64_t step, void *env);
  void (*load_state)(void *state, int64_t slot, int64_t step, void *env);
  void (*set_paths)(void *state, const int64_t *paths, uint64_t len);
} EnzymeCheckpointScheme;

typedef struct EnzymeCkptStats {
  int64_t forward_steps; /* steps run without taping */
  int64_t taped_steps;   /* steps run with taping */
  int64_t stores;
  int64_t restores;
  int64_t max_slots;
  uint64_t max_bytes;
} EnzymeCkptStats;

typedef struct EnzymeCkptConfig {
  int64_t snapshots;
  int verbose;
  const char *spill_dir;
  uint64_t mem_budget;
  EnzymeCkptStats *stats; /* filled in by ferment for the reference schemes */
} EnzymeCkptConfig;

extern int enzyme_scheme;
extern int enzyme_checkpoint_region;

void __enzyme_checkpoint_for(void *step, int64_t start, int64_t n, ...);
void __enzyme_checkpoint_while(void *step, ...);
/* The extent of the memory behind a pointer argument (a hint; no effect). */
void __enzyme_ptr_size_hint(void *ptr, size_t bytes, size_t flags);

/* The reference schemes: binomial (Revolve), periodic segments, a snapshot
 * before every step. ferment recognizes them by address. */
static const EnzymeCheckpointScheme EnzymeCkptRevolve = {ENZYME_CKPT_ABI_VERSION};
static const EnzymeCheckpointScheme EnzymeCkptPeriodic = {ENZYME_CKPT_ABI_VERSION};
static const EnzymeCheckpointScheme EnzymeCkptStoreAll = {ENZYME_CKPT_ABI_VERSION};

#ifdef __cplusplus
}
#endif

#endif
