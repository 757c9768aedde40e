/*
 * Stream version 2 driver: lane seeding, block/sub-range logic, OpenMP
 * parallel loop and run-time SIMD dispatch.  The group kernels live in
 * stream_kernels.h (the AVX-512 bfloat16 normal kernel in
 * kernels_bf16_avx512.h), the RNG in xoshiro.h, the math in vmath.h.
 */
#include "stream.h"

/* The stream is defined by exact IEEE operations: never fuse a*b+c.  setup.py
 * passes -ffp-contract=off; clang also honours this pragma, GCC ignores it. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include <float.h>
#include <math.h>
#include <string.h>

#include "pool.h"
#include "vmath.h"
#include "xoshiro.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef __linux__
#include <sys/mman.h>
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "stream_kernels.h reads 64-bit outputs as little-endian 32-bit words"
#endif

/* lane vectors: each SIMD path holds the 8 lanes in 64 bytes of its native width */
typedef uint64_t xv_v2 __attribute__((vector_size(16)));
typedef uint64_t xv_v4 __attribute__((vector_size(32)));
typedef uint64_t xv_v8 __attribute__((vector_size(64)));

/* Loops over the values of a group: vectorize them regardless of the cost
 * model (needs -fopenmp or -fopenmp-simd, which setup.py passes). */
#define XV_SIMD _Pragma("omp simd")

typedef struct {
    uint64_t s[4][XV_LANES];   /* s[word][lane] */
} xv_lanes;

/* Kernel parameters, set up once per fill by make_params.  The float32
 * family (float32, float16, bfloat16 outputs) reads `f`, float64 reads `d`. */
typedef struct {
    float lo, span;             /* uniform: low, high - low */
    float cap, capv;            /* uniform: values >= cap become capv (float32: the largest
                                   value below high; half outputs: see half_uniform_cap) */
    float mean, sd;             /* normal and truncated normal */
    float clo, chi;             /* truncated normal: values are clamped to [clo, chi] */
    float pa, qb, w, qc, h;     /* truncated normal: Phi(alpha), Phi(-beta), mass, centre, w/2 */
    float spanq;                /* uniform: span * 2^-24 */
    int plain;                  /* ordinary parameters (see plain_uniform, plain_normal): the
                                   kernels may take the shorter exact forms */
    int bounded;                /* bfloat16 normal: AVX-512 kernels may round the bounded
                                   approximation (xv_normal_bf16_fast) */
    float nk;                   /* normal: -2 sd^2, for the bounded approximation */
} xv_params_f;

typedef struct {
    double lo, span, cap, mean, sd, clo, chi, pa, qb, w, qc, h;
} xv_params_d;

typedef struct {
    xv_params_f f;
    xv_params_d d;
} xv_params;

typedef void (*xv_group_fn)(xv_lanes *st, size_t ngroups, void *out, const xv_params *p);

typedef void (*xv_copy_fn)(char *dst, const char *src, size_t bytes);

typedef struct {
    void (*skip)(xv_lanes *st, size_t nsteps);
    xv_group_fn group[XV_NKINDS];   /* by kind */
    xv_copy_fn stream_copy;   /* copy with non-temporal stores, or NULL */
    /* uniform float32 / float64 kernels storing each group (one 64-byte
     * line) non-temporally, to a 16-byte aligned dst; or NULL */
    xv_group_fn uniform_nt[2];
} xv_kernels;

/* Uniform fills of at least XV_STREAM_MIN bytes use non-temporal stores: from
 * registers where dst is 16-byte aligned (uniform_nt), else through a buffer
 * of XV_STREAM_CHUNK bytes (a multiple of every group's size). */
#define XV_STREAM_MIN ((uint64_t)32 << 20)
#define XV_STREAM_CHUNK 4096

/* elements per group, xoshiro steps per group and bytes per element, by kind */
static const unsigned GROUP_LEN[XV_NKINDS] = {16, 8, 16, 16, 32, 16, 32, 32, 16, 8, 16, 16};
static const unsigned GROUP_STEPS[XV_NKINDS] = {1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1};
static const unsigned ELEM_SIZE[XV_NKINDS] = {4, 8, 2, 2, 4, 8, 2, 2, 4, 8, 2, 2};

/* ---- non-temporal copies ------------------------------------------------ */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define XV_X86 1
#include <immintrin.h>

/* memcpy whose aligned middle bypasses the caches (streaming stores): for
 * outputs far larger than the caches, it saves the read-for-ownership of
 * every written line.  The caller issues _mm_sfence() when done.  A macro,
 * because the three widths differ in vector type and intrinsics (which, being
 * always-inline, cannot be passed as function pointers). */
#define XV_DEFINE_STREAM_COPY(NAME, ATTR, VW, T, LOAD, STREAM)                    \
    ATTR static void NAME(char *dst, const char *src, size_t bytes)              \
    {                                                                            \
        size_t head = (size_t)(-(uintptr_t)dst & (VW - 1));                      \
        if (head > bytes)                                                        \
            head = bytes;                                                        \
        memcpy(dst, src, head);                                                  \
        dst += head;                                                             \
        src += head;                                                             \
        bytes -= head;                                                           \
        for (; bytes >= VW; bytes -= VW, dst += VW, src += VW)                   \
            STREAM((T *)dst, LOAD((const T *)src));                              \
        memcpy(dst, src, bytes);                                                 \
    }
XV_DEFINE_STREAM_COPY(xv_stream_copy_sse2, , 16, __m128i, _mm_loadu_si128, _mm_stream_si128)
XV_DEFINE_STREAM_COPY(xv_stream_copy_avx2, __attribute__((target("avx2"))), 32, __m256i,
                      _mm256_loadu_si256, _mm256_stream_si256)
XV_DEFINE_STREAM_COPY(xv_stream_copy_avx512, __attribute__((target("avx512f"))), 64, __m512i,
                      _mm512_loadu_si512, _mm512_stream_si512)
#define XV_STREAM_COPY_BASELINE xv_stream_copy_sse2

/* The 64 bytes at v to a 16-byte aligned dst with streaming stores.  Four
 * 16-byte stores fill one write-combining line as well as one 64-byte store
 * (measured: 12.0 against 11.6 ms for 8192^2 float32 on one thread, 15.2
 * through the buffer), and need only the alignment NumPy gives. */
XV_INLINE void xv_stream_line(char *dst, const void *v)
{
    for (int q = 0; q < 4; q++)
        _mm_stream_si128((__m128i *)(void *)dst + q, _mm_loadu_si128((const __m128i *)v + q));
}
#else
#define XV_STREAM_COPY_BASELINE NULL
#endif

/* ---- the SIMD paths ---------------------------------------------------- */

/* Each path compiles the kernels for its target (stream_kernels.h lists
 * what a path defines). */
#define XV_SUFFIX _baseline
#define XV_TARGET
#define XV_VEC xv_v2
#define XV_COPY XV_STREAM_COPY_BASELINE
#define XV_HAS_F16C 0
#define XV_HAS_AVX512 0
#define XV_HAS_AVX512BF16 0
#include "stream_kernels.h"

#ifdef XV_X86
#define XV_SUFFIX _avx2
#define XV_TARGET __attribute__((target("avx2,f16c")))
#define XV_VEC xv_v4
#define XV_COPY xv_stream_copy_avx2
#define XV_HAS_F16C 1
#define XV_HAS_AVX512 0
#define XV_HAS_AVX512BF16 0
#include "stream_kernels.h"

/* AVX-512 converts float32 to float16 itself (XV_HAS_F16C is for F16C's
 * 256-bit form).  prefer-vector-width=512: GCC would otherwise keep to
 * 256-bit vectors. */
#define XV_SUFFIX _avx512
#ifdef __clang__
#define XV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
#else
#define XV_TARGET \
    __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,prefer-vector-width=512")))
#endif
#define XV_VEC xv_v8
#define XV_COPY xv_stream_copy_avx512
#define XV_HAS_F16C 0
#define XV_HAS_AVX512 1
#define XV_HAS_AVX512BF16 0
#include "stream_kernels.h"

/* avx512 with AVX512_BF16's vcvtne2ps2bf16 for the bfloat16 rounding */
#define XV_SUFFIX _avx512bf16
#ifdef __clang__
#define XV_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512bf16")))
#else
#define XV_TARGET \
    __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512bf16,prefer-vector-width=512")))
#endif
#define XV_VEC xv_v8
#define XV_COPY xv_stream_copy_avx512
#define XV_HAS_F16C 0
#define XV_HAS_AVX512 1
#define XV_HAS_AVX512BF16 1
#include "stream_kernels.h"

static const xv_kernels *const ISA_TABLE[] = {
    [XV_ISA_BASELINE] = &xv_kernels_baseline,
    [XV_ISA_AVX2] = &xv_kernels_avx2,
    [XV_ISA_AVX512] = &xv_kernels_avx512,
    [XV_ISA_AVX512BF16] = &xv_kernels_avx512bf16,
};
static const char *const ISA_NAMES[] = {
    [XV_ISA_BASELINE] = "baseline",
    [XV_ISA_AVX2] = "avx2",
    [XV_ISA_AVX512] = "avx512",
    [XV_ISA_AVX512BF16] = "avx512bf16",
};
#else
static const xv_kernels *const ISA_TABLE[] = {[XV_ISA_BASELINE] = &xv_kernels_baseline};
static const char *const ISA_NAMES[] = {[XV_ISA_BASELINE] = "baseline"};
#endif

#define N_ISA ((int)(sizeof(ISA_TABLE) / sizeof(ISA_TABLE[0])))

int xv_isa_count(void) { return N_ISA; }

const char *xv_isa_name(int isa) { return (isa >= 0 && isa < N_ISA) ? ISA_NAMES[isa] : NULL; }

#ifdef XV_X86
#include <cpuid.h>

/* F16C (CPUID leaf 1, ECX bit 29): clang 14's __builtin_cpu_supports has no name for it. */
static int cpu_has_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}

/* AVX512_BF16 (CPUID leaf 7, subleaf 1, EAX bit 5) */
static int cpu_has_avx512bf16(void)
{
    unsigned a, b, c, d;
    return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5));
}
#endif

/* Whether this CPU runs path `isa`, asked once: CPUID traps to the
 * hypervisor in virtual machines (8 us a call measured on one), and every
 * fill asks. */
static int probe_isa(int isa)
{
    if (isa == XV_ISA_BASELINE)
        return 1;
#ifdef XV_X86
    __builtin_cpu_init();
    const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    switch (isa) {
    case XV_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && cpu_has_f16c();
    case XV_ISA_AVX512:
        return avx512;
    case XV_ISA_AVX512BF16:
        return avx512 && cpu_has_avx512bf16();
    }
#endif
    return 0;
}

int xv_isa_supported(int isa)
{
    static int known[N_ISA];   /* 0: not asked yet, else 1 + the answer */
    if (isa < 0 || isa >= N_ISA)
        return 0;
    int k = __atomic_load_n(&known[isa], __ATOMIC_RELAXED);
    if (k == 0) {   /* threads that race here store the same answer */
        k = 1 + probe_isa(isa);
        __atomic_store_n(&known[isa], k, __ATOMIC_RELAXED);
    }
    return k - 1;
}

int xv_isa_best(void)
{
    for (int i = N_ISA - 1; i > XV_ISA_BASELINE; i--)
        if (xv_isa_supported(i))
            return i;
    return XV_ISA_BASELINE;
}

int xv_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int xv_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();   /* OMP_NUM_THREADS, omp_set_num_threads, threadpoolctl */
#else
    return 1;
#endif
}

/* ---- seeding and the reference raw stream ------------------------------ */

void xv_lane_state(const uint64_t key[4], uint64_t block, int lane, uint64_t s[4])
{
    uint64_t x = key[0] ^ xv_mix64(key[1] + block * XV_LANES + (uint64_t)lane);
    for (int i = 0; i < 4; i++)
        s[i] = xv_splitmix64_next(&x) ^ key[2 + (i & 1)];
}

static void seed_block(const uint64_t key[4], uint64_t block, xv_lanes *st)
{
    for (int j = 0; j < XV_LANES; j++) {
        uint64_t s[4];
        xv_lane_state(key, block, j, s);
        for (int i = 0; i < 4; i++)
            st->s[i][j] = s[i];
    }
}

void xv_raw_block(const uint64_t key[4], uint64_t block, uint64_t n, uint64_t *dst)
{
    uint64_t s[XV_LANES][4];
    for (int j = 0; j < XV_LANES; j++)
        xv_lane_state(key, block, j, s[j]);
    for (uint64_t i = 0; i < n; i++)
        dst[i] = xv_xoshiro_next(s[i % XV_LANES]);
}

/* ---- the driver -------------------------------------------------------- */

/* Rounding of a float32 to the half-precision output type, and back. */
static uint16_t half_bits(int type, float x)
{
    return type == XV_F16 ? xv_f16_bits(x) : xv_bf16_bits(x);
}

static float half_value(int type, uint16_t b)
{
    if (type == XV_BF16)
        return xv_u2f((uint32_t)b << 16);
    const uint32_t sign = (uint32_t)(b & 0x8000u) << 16, e = (b >> 10) & 0x1Fu, m = b & 0x3FFu;
    if (e == 0)   /* zero or subnormal: m * 2^-24 */
        return xv_u2f(xv_f2u((float)m * 0x1p-24f) | sign);
    return xv_u2f(sign | ((e + 112u) << 23) | (m << 13));
}

/* Order-preserving map of finite floats to integers, and its inverse. */
static int64_t float_order(float x)
{
    const int32_t b = (int32_t)xv_f2u(x);
    return b < 0 ? -(int64_t)(b & 0x7FFFFFFF) : (int64_t)b;
}

static float order_float(int64_t o)
{
    return o < 0 ? xv_u2f((uint32_t)(-o) | 0x80000000u) : xv_u2f((uint32_t)o);
}

/* Half-precision uniform on [lo, hi) (float32 bounds): values are the float32
 * values (capped below hi as for float32 output) rounded, except those that
 * would round to hi's own half value, which become the largest half value
 * below it, capf (every value is lo's when there is none).  With thr = the
 * least float32 in [lo, hi] that rounds to hi's half value, both caps are
 * one: values >= min(thr, cap) become capf if thr <= cap, else cap (whose
 * rounding is below hi's half value).  Sets f->cap and f->capv so. */
static void half_uniform_cap(int type, float lo, float hi, xv_params_f *f)
{
    const uint16_t hb = half_bits(type, hi), lb = half_bits(type, lo);
    const float hv = half_value(type, hb), lv = half_value(type, lb);
    if (!(hv > lv)) {             /* empty in the output type: every value is lo's */
        f->cap = -INFINITY;
        f->capv = lv;
        return;
    }
    /* the half value just below hv: one step towards zero or away from it */
    const uint16_t cb = (hb & 0x7FFFu) == 0 ? (uint16_t)(0x8001u)
                        : (hb & 0x8000u) ? (uint16_t)(hb + 1u) : (uint16_t)(hb - 1u);
    const float capf = half_value(type, cb);
    int64_t a = float_order(lo), b = float_order(hi);   /* rounds(a) < hv <= rounds(b) */
    while (b - a > 1) {
        const int64_t m = a + (b - a) / 2;
        if (half_value(type, half_bits(type, order_float(m))) >= hv)
            b = m;
        else
            a = m;
    }
    const float thr = order_float(b);
    if (thr <= f->cap) {
        f->cap = thr;
        f->capv = capf;
    }                             /* else: values >= cap become cap, as for float32 */
}

/* The truncated normal on [a, b] as the inverse CDF on p in [Phi(alpha), Phi(beta)]:
 * pa = Phi(alpha), qb = Phi(-beta) = 1 - Phi(beta), w = Phi(beta) - Phi(alpha)
 * (computed from whichever tail keeps it accurate), qc = (pa - qb) / 2 the
 * centre of the p interval minus 1/2, h = w / 2. */
static void truncnorm_params(double mean, double sd, double a, double b, xv_params_d *d)
{
    const double alpha = sd > 0 ? (a - mean) / sd : -INFINITY;
    const double beta = sd > 0 ? (b - mean) / sd : INFINITY;
    d->pa = xv_ndtr(alpha);
    d->qb = xv_ndtr(-beta);
    if (beta <= 0)
        d->w = xv_ndtr(beta) - d->pa;
    else if (alpha >= 0)
        d->w = xv_ndtr(-alpha) - d->qb;
    else
        d->w = (1.0 - d->pa) - d->qb;
    d->qc = (d->pa - d->qb) * 0.5;
    d->h = d->w * 0.5;
    d->clo = a;
    d->chi = b;
}

double xv_truncnorm_mass(double mean, double sd, double a, double b)
{
    xv_params_d d;
    truncnorm_params(mean, sd, a, b, &d);
    return d.w;
}

/* The float32-family kernels' shorter forms, used where they give the same
 * bits as the stream's definition (README, "Stream specification"):
 *
 * Uniform.  (1) lo + span * (k 2^-24) = lo + k * spanq with spanq = span 2^-24:
 * both round the same exact product once, provided spanq is exact (span is
 * 0, or finite and >= 2^-102).  (2) "values >= cap become capv" is
 * min(x, capv): for float32 output cap == capv; for half outputs capped at
 * thr (half_uniform_cap) capv is the half value below hi's, and every float32
 * in [capv, thr) rounds to capv, so the rounded outputs agree (not in the
 * empty case, cap = -inf).  (3) No value is a float32 subnormal, so the
 * bfloat16 rounding needs no subnormal check: with lo = 0, values are 0 or
 * >= spanq >= 2^-126; with |lo| >= 2^-102 a nonzero lo + p is either
 * >= |lo|/2 in magnitude, or p is within a factor 2 of -lo and the sum is a
 * nonzero multiple of ulp(lo)/2 >= 2^-126; capv is 0 or normal. */
static int plain_uniform(const xv_params_f *f)
{
    const float tiny = 0x1p-102f, lo = f->lo;
    const int exact = f->span == 0.0f || (f->span >= tiny && f->span <= FLT_MAX);
    const int capped = f->cap > -INFINITY;
    const int normal = (lo == 0.0f || fabsf(lo) >= tiny) &&
                       (f->capv == 0.0f || fabsf(f->capv) >= 0x1p-126f);
    return exact && capped && normal;
}

/* Normal: no value is a float32 subnormal when sd is 0 or >= 2^-64 and mean
 * is 0 or >= 2^-102 in magnitude: a nonzero radius is >= sd * 2^-12 (the
 * radius uniform below 1 is at most 1 - 2^-24), the octant's sine and cosine
 * are >= 2^-23, so a nonzero rad * trig is >= 2^-99, and mean + x is then 0
 * or normal as lo + p above. */
static int plain_normal(const xv_params_f *f)
{
    return (f->sd == 0.0f || (f->sd >= 0x1p-64f && f->sd <= FLT_MAX)) &&
           (f->mean == 0.0f || (fabsf(f->mean) >= 0x1p-102f && fabsf(f->mean) <= FLT_MAX));
}

static void make_params(int kind, const double prm[4], xv_params *p)
{
    const int dist = XV_KIND_DIST(kind), type = XV_KIND_TYPE(kind);
    xv_params_f *f = &p->f;
    xv_params_d *d = &p->d;
    memset(p, 0, sizeof(*p));
    if (dist == XV_UNIFORM) {
        const float lo = (float)prm[0], hi = (float)prm[1];
        f->lo = lo;
        f->span = hi - lo;
        /* the largest float32 below hi (lo itself when the interval is empty) */
        f->cap = hi > lo ? nextafterf(hi, -INFINITY) : lo;
        f->capv = f->cap;
        d->lo = prm[0];
        d->span = prm[1] - prm[0];
        d->cap = prm[1] > prm[0] ? nextafter(prm[1], -INFINITY) : prm[0];
        if (type == XV_F16 || type == XV_BF16)
            half_uniform_cap(type, lo, hi, f);
        f->spanq = f->span * 0x1p-24f;
        f->plain = plain_uniform(f);
        return;
    }
    d->mean = prm[0];
    d->sd = prm[1];
    if (dist == XV_TRUNCNORM)
        truncnorm_params(prm[0], prm[1], prm[2], prm[3], d);
    f->mean = (float)d->mean;
    f->sd = (float)d->sd;
    f->clo = (float)d->clo;
    f->chi = (float)d->chi;
    f->pa = (float)d->pa;
    f->qb = (float)d->qb;
    f->w = (float)d->w;
    f->qc = (float)d->qc;
    f->h = (float)d->h;
    f->plain = dist == XV_NORMAL && plain_normal(f);
    /* the range where xv_normal_bf16_fast's bound holds (kernels_bf16_avx512.h) */
    f->bounded = dist == XV_NORMAL && type == XV_BF16 && f->mean == 0.0f &&
                 f->sd >= 0x1p-40f && f->sd <= 0x1p40f;
    f->nk = (float)(-2.0 * (double)f->sd * (double)f->sd);   /* sd^2 exact in double */
}

/* Fills of at least XV_HUGE_MIN bytes first ask Linux for transparent huge
 * pages on the 2 MiB-aligned part of the destination (MADV_HUGEPAGE): where
 * the memory is not yet touched, faulting it in 2 MiB at a time is several
 * times faster than 4 KiB at a time (measured).  A hint only: file-backed
 * memory, THP turned off or another OS leave it without effect, and the
 * values are the same either way. */
#define XV_HUGE_MIN ((uint64_t)32 << 20)

static void advise_huge_pages(void *dst, uint64_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)1 << 21;
    const uintptr_t lo = ((uintptr_t)dst + huge - 1) & ~(huge - 1);
    const uintptr_t hi = ((uintptr_t)dst + (uintptr_t)bytes) & ~(huge - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)dst;
    (void)bytes;
#endif
}

/* Elements [e0, e1) of block `block` (offsets inside the block) into dst.
 * With `stream`, whole groups go through an L1-sized buffer and on to dst
 * with non-temporal stores (same values, fewer memory transfers). */
/* Elements [e0, e1) of a block into dst, from lanes `st` positioned at the
 * group holding e0; leaves them positioned at group ceil(e1 / G).  Partial
 * groups are generated into tmp (one group: at most 32 float32 or 16
 * float64 = 128 bytes), which holds group (e1 - 1) / G on return when e1 is
 * not a multiple of G. */
static void block_span(const xv_kernels *K, int kind, const xv_params *p, xv_lanes *st,
                       uint64_t e0, uint64_t e1, char *dst, int stream, double tmp[16])
{
    const uint64_t G = GROUP_LEN[kind];
    const size_t esz = ELEM_SIZE[kind];
    const xv_group_fn gen = K->group[kind];
    uint64_t g = e0 / G;
    uint64_t e = e0;
    if (e % G) {   /* leading partial group */
        const uint64_t end = (g + 1) * G < e1 ? (g + 1) * G : e1;
        gen(st, 1, tmp, p);
        memcpy(dst, (char *)tmp + (e - g * G) * esz, (end - e) * esz);
        dst += (end - e) * esz;
        e = end;
        g++;
    }
    const uint64_t full = (e1 - e) / G;
    if (full && stream && K->uniform_nt[XV_KIND_TYPE(kind)] && ((uintptr_t)dst & 15) == 0) {
        K->uniform_nt[XV_KIND_TYPE(kind)](st, (size_t)full, dst, p);
        dst += full * G * esz;
        e += full * G;
#ifdef XV_X86
        _mm_sfence();
#endif
    } else if (full && stream && K->stream_copy) {
        _Alignas(64) char buf[XV_STREAM_CHUNK];
        const uint64_t per = XV_STREAM_CHUNK / (G * esz);
        for (uint64_t left = full; left;) {
            const uint64_t m = left < per ? left : per;
            gen(st, (size_t)m, buf, p);
            K->stream_copy(dst, buf, (size_t)(m * G * esz));
            dst += m * G * esz;
            left -= m;
        }
        e += full * G;
#ifdef XV_X86
        _mm_sfence();
#endif
    } else if (full) {
        gen(st, (size_t)full, dst, p);
        dst += full * G * esz;
        e += full * G;
    }
    if (e < e1) {   /* trailing partial group */
        gen(st, 1, tmp, p);
        memcpy(dst, tmp, (e1 - e) * esz);
    }
}

static void run_block(const xv_kernels *K, const uint64_t key[4], int kind, const xv_params *p,
                      uint64_t block, uint64_t e0, uint64_t e1, char *dst, int stream)
{
    xv_lanes st;
    double tmp[16];
    seed_block(key, block, &st);
    const uint64_t g = e0 / GROUP_LEN[kind];
    if (g)
        K->skip(&st, (size_t)(g * GROUP_STEPS[kind]));
    block_span(K, kind, p, &st, e0, e1, dst, stream, tmp);
}

/* The kernels of SIMD path `isa` (-1: the best here) for `kind`, or NULL
 * for an unknown kind or an unavailable path. */
static const xv_kernels *kernels_for(int kind, int isa)
{
    if (kind < 0 || kind >= XV_NKINDS)
        return NULL;
    if (isa < 0)
        isa = xv_isa_best();
    else if (isa >= N_ISA || !xv_isa_supported(isa))
        return NULL;
    return ISA_TABLE[isa];
}

/* Fills of fewer blocks stay on the calling thread: waking a helper costs
 * about as much as it saves there (measured on 2 cores, float32, us for 1 /
 * 2 threads: 2 blocks uniform 22.6 / 30.3, normal 77 / 82; 3 blocks uniform
 * 33.7 / 37.5, normal 116 / 84; 4 blocks uniform 45.2 / 42.7, normal 155 /
 * 123). */
#define XV_POOL_MIN_BLOCKS 4

/* A fill in blocks: item i of the pool is block b0 + i of [start, end). */
typedef struct {
    const xv_kernels *K;
    const uint64_t *key;
    const xv_params *p;
    int kind, stream;
    uint64_t start, end, b0;
    char *dst;
} block_job;

static void block_item(void *ctx, int64_t i)
{
    const block_job *b = (const block_job *)ctx;
    const uint64_t blk = b->b0 + (uint64_t)i;
    const uint64_t lo = blk * XV_BLOCK > b->start ? blk * XV_BLOCK : b->start;
    const uint64_t hi = (blk + 1) * XV_BLOCK < b->end ? (blk + 1) * XV_BLOCK : b->end;
    run_block(b->K, b->key, b->kind, b->p, blk, lo - blk * XV_BLOCK, hi - blk * XV_BLOCK,
              b->dst + (lo - b->start) * ELEM_SIZE[b->kind], b->stream);
}

int xv_fill(const uint64_t key[4], int kind, const double params[4], uint64_t start, uint64_t n,
            void *dst, int threads, int isa)
{
    return xv_fill_until(key, kind, params, start, n, dst, threads, isa, NULL, NULL);
}

int xv_fill_until(const uint64_t key[4], int kind, const double params[4], uint64_t start,
                  uint64_t n, void *dst, int threads, int isa, xv_stop_fn stop, void *ctx)
{
    const xv_kernels *K = kernels_for(kind, isa);
    if (K == NULL)
        return -1;
    if (n == 0)
        return 0;
    xv_params p;
    make_params(kind, params, &p);
    const size_t esz = ELEM_SIZE[kind];
    /* float32 and float64 uniform fills are bound by memory bandwidth; the
     * others by arithmetic, where the extra copy costs more than it saves
     * (measured) */
    const int stream = (kind == XV_KIND(XV_UNIFORM, XV_F32) || kind == XV_KIND(XV_UNIFORM, XV_F64)) &&
                       n * esz >= XV_STREAM_MIN;
    if (n * esz >= XV_HUGE_MIN)
        advise_huge_pages(dst, n * esz);
    const uint64_t end = start + n;
    const uint64_t b0 = start / XV_BLOCK, nblocks = (end - 1) / XV_BLOCK - b0 + 1;
    block_job job = {K, key, &p, kind, stream, start, end, b0, (char *)dst};
    /* blocks are handed out one at a time; stop() is asked every
     * XV_PART_BLOCKS blocks of the caller's, so blocks below some k are
     * written when it ends a fill and none above */
    const int helpers = nblocks >= XV_POOL_MIN_BLOCKS ? threads - 1 : 0;
    const int rc = xv_pool_run((int64_t)nblocks, helpers, block_item, &job, stop, ctx,
                               (int64_t)XV_PART_BLOCKS);
    return rc == 0 ? 0 : -3;
}

/* Runs first..last-1 of xv_fill_runs, in order, into dst.  The lanes of a
 * block are kept from one run to the next while the runs stay in it, and
 * the last partial group is kept, for a run that starts inside it. */
static void runs_seq(const xv_kernels *K, const uint64_t key[4], int kind, const xv_params *p,
                     const uint64_t *starts, uint64_t first, uint64_t last, uint64_t len,
                     char *dst)
{
    const uint64_t G = GROUP_LEN[kind];
    const size_t esz = ELEM_SIZE[kind];
    const uint64_t NONE = UINT64_MAX;
    xv_lanes st;
    double tmp[16];
    uint64_t blk = NONE, g = 0, held = NONE;   /* lanes of block blk at group g; tmp holds group `held` */
    for (uint64_t r = first; r < last; r++) {
        const uint64_t end = starts[r] + len;
        for (uint64_t s = starts[r]; s < end;) {
            const uint64_t b = s / XV_BLOCK, base = b * XV_BLOCK;
            const uint64_t e1 = end - base < XV_BLOCK ? end - base : XV_BLOCK;
            uint64_t e = s - base;
            if (b != blk) {
                seed_block(key, b, &st);
                blk = b;
                g = 0;
                held = NONE;
            }
            if (e / G == held) {   /* starts in the group generated last */
                const uint64_t stop = (held + 1) * G < e1 ? (held + 1) * G : e1;
                memcpy(dst, (char *)tmp + (e - held * G) * esz, (stop - e) * esz);
                dst += (stop - e) * esz;
                e = stop;
            }
            if (e < e1) {   /* here e / G >= g: the runs increase */
                if (e / G > g)
                    K->skip(&st, (size_t)((e / G - g) * GROUP_STEPS[kind]));
                block_span(K, kind, p, &st, e, e1, dst, 0, tmp);
                g = (e1 + G - 1) / G;
                held = e1 % G ? (e1 - 1) / G : NONE;
                dst += (e1 - e) * esz;
            }
            s = base + e1;
        }
    }
}

typedef struct {
    const xv_kernels *K;
    const uint64_t *key;
    const xv_params *p;
    int kind;
    const uint64_t *starts;
    uint64_t nruns, chunks, len;
    char *dst;
} runs_job;

static void runs_item(void *ctx, int64_t i)
{
    const runs_job *r = (const runs_job *)ctx;
    const uint64_t q = r->nruns / r->chunks, rem = r->nruns % r->chunks, t = (uint64_t)i;
    const uint64_t first = t * q + (t < rem ? t : rem);
    const uint64_t last = first + q + (t < rem);
    runs_seq(r->K, r->key, r->kind, r->p, r->starts, first, last, r->len,
             r->dst + first * r->len * ELEM_SIZE[r->kind]);
}

int xv_fill_runs(const uint64_t key[4], int kind, const double params[4], const uint64_t *starts,
                 uint64_t nruns, uint64_t len, void *dst, int threads, int isa)
{
    const xv_kernels *K = kernels_for(kind, isa);
    if (K == NULL)
        return -1;
    for (uint64_t r = 0; r < nruns; r++)
        if (starts[r] > UINT64_MAX - len || (r && starts[r] < starts[r - 1] + len))
            return -2;
    if (nruns == 0 || len == 0)
        return 0;
    const size_t esz = ELEM_SIZE[kind];
    if (threads < 1)
        threads = 1;
    if (nruns < 4 * (uint64_t)threads) {   /* few long runs: parallel within each */
        for (uint64_t r = 0; r < nruns; r++)
            xv_fill(key, kind, params, starts[r], len, (char *)dst + r * len * esz, threads, isa);
        return 0;
    }
    xv_params p;
    make_params(kind, params, &p);
    /* chunks of runs, 4 per thread, shared dynamically */
    const uint64_t T = 4 * (uint64_t)threads < nruns ? 4 * (uint64_t)threads : nruns;
    runs_job job = {K, key, &p, kind, starts, nruns, T, len, (char *)dst};
    (void)xv_pool_run((int64_t)T, threads - 1, runs_item, &job, NULL, NULL, 1);
    return 0;
}
