/*
 * Stream version 2: the public C interface of xavier's sampler core.
 * The stream is specified in docs/stream.md (the stream specification).
 */
#ifndef XAVIER_STREAM_H
#define XAVIER_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"   /* xv_stop_fn */

#define XV_STREAM_VERSION 2
#define XV_LANES 8                      /* interleaved xoshiro256++ lanes per block */
#define XV_BLOCK ((uint64_t)1 << 16)    /* elements per block */

/* A kind is a distribution and an output type: kind = 4 * dist + type. */
enum xv_dist { XV_UNIFORM = 0, XV_NORMAL = 1, XV_TRUNCNORM = 2 };
enum xv_type { XV_F32 = 0, XV_F64 = 1, XV_F16 = 2, XV_BF16 = 3 };
#define XV_KIND(dist, type) (4 * (dist) + (type))
#define XV_KIND_DIST(kind) ((kind) / 4)
#define XV_KIND_TYPE(kind) ((kind) % 4)
#define XV_NKINDS 12

/* Elements [start, start + n) of the stream of (key, kind, params) into dst.
 * params: uniform (low, high); normal (mean, std); truncated normal
 * (mean, std, a, b) with absolute bounds a < b (either may be infinite).
 * threads >= 1; isa = -1 picks the best SIMD path of this CPU, else one
 * of enum xv_isa (tests use it to compare paths).  Returns 0, or -1
 * for an unavailable isa or an unknown kind.  The caller validates params. */
int xv_fill(const uint64_t key[4], int kind, const double params[4], uint64_t start, uint64_t n,
            void *dst, int threads, int isa);

/* As xv_fill, calling stop(ctx) after every XV_PART_BLOCKS blocks that the
 * calling thread fills (e.g. to check for signals; the blocks are shared
 * with `threads - 1` pool threads, see pool.h): a nonzero return ends the
 * fill and returns -3, with the elements of blocks below some k written
 * and none above.  Size-dependent choices (non-temporal stores, huge pages)
 * follow the whole fill; the values are those of xv_fill.  With stop ==
 * NULL this is xv_fill. */
#define XV_PART_BLOCKS ((uint64_t)32)
int xv_fill_until(const uint64_t key[4], int kind, const double params[4], uint64_t start,
                  uint64_t n, void *dst, int threads, int isa, xv_stop_fn stop, void *ctx);

/* Runs of the same stream, back to back into dst: elements [starts[r],
 * starts[r] + len) for r = 0..nruns-1 (the rows of a sub-block of a larger
 * array).  The starts must increase with no overlap.  Returns 0, -1 as
 * xv_fill, or -2 for overlapping or unordered runs. */
int xv_fill_runs(const uint64_t key[4], int kind, const double params[4], const uint64_t *starts,
                 uint64_t nruns, uint64_t len, void *dst, int threads, int isa);

/* The normal(mean, sd) mass of [a, b], as the truncated normal kinds compute
 * it (own double-precision CDF, same bits everywhere). */
double xv_truncnorm_mass(double mean, double sd, double a, double b);

/* Raw 64-bit outputs 0..n-1 of block `block` in stream order (lane i % 8,
 * step i / 8), by the scalar reference code. */
void xv_raw_block(const uint64_t key[4], uint64_t block, uint64_t n, uint64_t *dst);

/* The state of lane `lane` of block `block`. */
void xv_lane_state(const uint64_t key[4], uint64_t block, int lane, uint64_t s[4]);

/* The SIMD paths, as the isa arguments and xv_isa_name number them.  Builds
 * for other CPUs than x86-64 compile the baseline path only. */
enum xv_isa { XV_ISA_BASELINE = 0, XV_ISA_AVX2 = 1, XV_ISA_AVX512 = 2, XV_ISA_AVX512BF16 = 3 };

int xv_isa_count(void);                 /* number of compiled SIMD paths */
const char *xv_isa_name(int isa);       /* "baseline", "avx2", "avx512", "avx512bf16" */
int xv_isa_supported(int isa);          /* 1 if this CPU can run it */
int xv_isa_best(void);                  /* the path isa = -1 uses */
int xv_openmp(void);                    /* 1 if built with OpenMP */
int xv_max_threads(void);               /* omp_get_max_threads(), or 1 */

#endif
