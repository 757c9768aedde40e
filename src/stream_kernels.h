/*
 * Group kernels of stream version 2, compiled once per SIMD path by
 * stream.c (XV_SUFFIX names the path, XV_TARGET sets its instruction set).
 * Each kernel advances the 8 interleaved xoshiro256++ lanes of one block and
 * writes `ngroups` whole groups; the layout of a group is the stream
 * definition (docs/stream.md, the stream specification):
 *
 *   uniform float32:   1 step  -> 16 values, value i from 32-bit word i of the
 *                      step's 8 outputs read as 16 little-endian words
 *                      (word 2j = low half of lane j, 2j+1 = high half);
 *                      u = (w >> 8) * 2^-24
 *   uniform float64:   1 step  -> 8 values, u = (x >> 11) * 2^-53
 *   normal float32:    2 steps -> 32 values: values i and 16+i (i < 16) from
 *                      word i of step A (radius) and of step B (angle, octant)
 *   normal float64:    2 steps -> 16 values: values 0..7 r*cos, 8..15 r*sin,
 *                      radius from lane j of step A, angle from lane j of step B
 *   truncated float32: 1 step  -> 16 values, value i from k = word i >> 8
 *   truncated float64: 1 step  -> 8 values, value j from k = lane j >> 11
 *
 * float16 and bfloat16 kernels compute the float32 group and round each
 * value to nearest even.  Every path computes the same IEEE operations in
 * the same order, so all paths give bit-identical output (tests check it).
 *
 * A path defines, before including this file:
 *   XV_SUFFIX          the suffix of its names (_avx2)
 *   XV_TARGET          the target attribute of its functions
 *   XV_VEC             its lane vector type: 2, 4 or 8 lanes in one vector
 *   XV_COPY            its non-temporal copy, or NULL
 *   XV_HAS_F16C        1 where the target has F16C's 256-bit vcvtps2ph, else 0
 *   XV_HAS_AVX512      1 where it has AVX-512 (F, VL, BW, DQ), else 0
 *   XV_HAS_AVX512BF16  1 where it also has AVX512_BF16's vcvtne2ps2bf16, else 0
 */
#if !defined(XV_SUFFIX) || !defined(XV_TARGET) || !defined(XV_VEC) || !defined(XV_COPY) || \
    !defined(XV_HAS_F16C) || !defined(XV_HAS_AVX512) || !defined(XV_HAS_AVX512BF16)
#error "stream_kernels.h: the path's definitions are missing"
#endif

#define XV_CAT2(a, b) a##b
#define XV_CAT(a, b) XV_CAT2(a, b)
#define XV_FN(name) XV_CAT(name, XV_SUFFIX)
#define XV_NV (64 / (int)sizeof(XV_VEC))   /* lane vectors per 8 lanes */

/* The 8 lanes' state, split into XV_NV vectors per state word. */
typedef struct {
    XV_VEC a[XV_NV], b[XV_NV], c[XV_NV], d[XV_NV];
} XV_FN(xv_regs);

XV_INLINE void XV_FN(xv_load)(const xv_lanes *st, XV_FN(xv_regs) *r)
{
    memcpy(r->a, st->s[0], 64);
    memcpy(r->b, st->s[1], 64);
    memcpy(r->c, st->s[2], 64);
    memcpy(r->d, st->s[3], 64);
}

XV_INLINE void XV_FN(xv_store)(xv_lanes *st, const XV_FN(xv_regs) *r)
{
    memcpy(st->s[0], r->a, 64);
    memcpy(st->s[1], r->b, 64);
    memcpy(st->s[2], r->c, 64);
    memcpy(st->s[3], r->d, 64);
}

/* One xoshiro256++ step of the lanes held in (a, b, c, d): xv_xoshiro_next,
 * lane-parallel. */
XV_INLINE XV_VEC XV_FN(xv_step)(XV_VEC *a, XV_VEC *b, XV_VEC *c, XV_VEC *d)
{
    const XV_VEC sum = *a + *d;
    const XV_VEC result = ((sum << 23) | (sum >> 41)) + *a;
    const XV_VEC t = *b << 17;
    *c ^= *a;
    *d ^= *b;
    *b ^= *c;
    *a ^= *d;
    *c ^= t;
    *d = (*d << 45) | (*d >> 19);
    return result;
}

/* One step of all 8 lanes; the 8 outputs go to out[0..63] in lane order. */
XV_INLINE void XV_FN(xv_step8)(XV_FN(xv_regs) *r, void *out)
{
    XV_VEC x[XV_NV];
    for (int k = 0; k < XV_NV; k++)
        x[k] = XV_FN(xv_step)(&r->a[k], &r->b[k], &r->c[k], &r->d[k]);
    memcpy(out, x, 64);
}

XV_TARGET static void XV_FN(xv_skip)(xv_lanes *st, size_t nsteps)
{
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    for (size_t t = 0; t < nsteps; t++) {
        uint64_t x[8];
        XV_FN(xv_step8)(&r, x);
    }
    XV_FN(xv_store)(st, &r);
}

/* ---- one group of float32 values, by distribution ----------------------- */

XV_INLINE void XV_FN(xv_grp_uniform)(XV_FN(xv_regs) *r, float *v, const xv_params_f *p)
{
    const float lo = p->lo, span = p->span, cap = p->cap, capv = p->capv;
    uint32_t w[16];
    XV_FN(xv_step8)(r, w);
    XV_SIMD
    for (int i = 0; i < 16; i++) {
        const float u = (float)(int32_t)(w[i] >> 8) * 0x1p-24f;
        const float x = lo + span * u;
        v[i] = x < cap ? x : capv;
    }
}

/* The same values with plain parameters (plain_uniform in stream.c): one
 * multiply fewer, and the cap as a minimum. */
XV_INLINE void XV_FN(xv_grp_uniform_plain)(XV_FN(xv_regs) *r, float *v, const xv_params_f *p)
{
    const float lo = p->lo, spanq = p->spanq, capv = p->capv;
    uint32_t w[16];
    XV_FN(xv_step8)(r, w);
    XV_SIMD
    for (int i = 0; i < 16; i++) {
        const float x = lo + (float)(int32_t)(w[i] >> 8) * spanq;
        v[i] = x < capv ? x : capv;
    }
}

/* Box-Muller with the angle from an octant: angle word w gives
 * theta0 = (pi/2) (j + 1/2) / 2^22 in (0, pi/4), j = bits 8..28; bit 29
 * swaps (cos, sin); bits 31 and 30 are the signs of the two values.  The
 * eight reflections of the octant tile the circle once, so the angle is
 * uniform on 2^24 points; no quadrant arithmetic is needed. */
XV_INLINE void XV_FN(xv_normal_words)(const uint32_t *wr, const uint32_t *wa, float *v,
                                      const xv_params_f *p)
{
    const float mean = p->mean, sd = p->sd;
    XV_SIMD
    for (int i = 0; i < 16; i++) {
        const float rad = sd * __builtin_sqrtf(-2.0f * xv_log_f(xv_u1_f(wr[i])));
        const uint32_t w = wa[i];
        float sn, cs;
        xv_sincos_octant_f((int32_t)((w >> 8) & 0x1FFFFFu), &sn, &cs);
        const int swap = (w >> 29) & 1u;
        const float x = rad * (swap ? sn : cs), y = rad * (swap ? cs : sn);
        v[i] = mean + xv_u2f(xv_f2u(x) ^ (w & 0x80000000u));
        v[16 + i] = mean + xv_u2f(xv_f2u(y) ^ ((w << 1) & 0x80000000u));
    }
}

XV_INLINE void XV_FN(xv_grp_normal)(XV_FN(xv_regs) *r, float *v, const xv_params_f *p)
{
    uint32_t wr[16], wa[16];
    XV_FN(xv_step8)(r, wr);
    XV_FN(xv_step8)(r, wa);
    XV_FN(xv_normal_words)(wr, wa, v, p);
}

/* Inverse CDF on the uniform (k + 1/2) / 2^24 mapped into [Phi(alpha), Phi(beta)]:
 * q = p - 1/2 from the exact s = (2k + 1 - 2^24) / 2^24, and the tail
 * probability t from (k + 1/2) / 2^24 or its complement, so both are
 * accurate where they are used. */
XV_INLINE void XV_FN(xv_grp_truncnorm)(XV_FN(xv_regs) *r, float *v, const xv_params_f *p)
{
    const float mean = p->mean, sd = p->sd, clo = p->clo, chi = p->chi;
    const float pa = p->pa, qb = p->qb, w = p->w, qc = p->qc, h = p->h;
    uint32_t wd[16];
    XV_FN(xv_step8)(r, wd);
    XV_SIMD
    for (int i = 0; i < 16; i++) {
        const int32_t k = (int32_t)(wd[i] >> 8);
        const float kf = (float)k;
        const float s = (kf * 0x1p-23f - 1.0f) + 0x1p-24f;            /* exact */
        const float q = qc + s * h;
        const float ulo = kf * 0x1p-24f + 0x1p-25f;
        const float uhi = (float)(0xFFFFFF - k) * 0x1p-24f + 0x1p-25f;
        /* select operands, not results: GCC will not if-convert FP arithmetic */
        const float t = (q < 0.0f ? pa : qb) + (q < 0.0f ? ulo : uhi) * w;
        const float x = mean + sd * xv_ndtri_f(q, t);
        const float y = x < clo ? clo : x;
        v[i] = y > chi ? chi : y;
    }
}

/* ---- float32 values to float16 and bfloat16 bits ------------------------- */

/* n float32 values (n a multiple of 16) to float16 bits, rounded to nearest
 * even: vcvtps2ph (AVX-512's on 16 values, F16C's on 8) with the rounding
 * mode in the instruction where the path has it, else xv_f16_bits; both are
 * exact IEEE rounding, so they agree on every input. */
XV_TARGET XV_INLINE void XV_FN(xv_put_f16)(uint16_t *dst, const float *v, int n, int nosub)
{
    (void)nosub;
#if XV_HAS_AVX512
    for (int i = 0; i < n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(v + i), _MM_FROUND_TO_NEAREST_INT));
#elif XV_HAS_F16C
    for (int i = 0; i < n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(v + i), _MM_FROUND_TO_NEAREST_INT));
#else
    XV_SIMD
    for (int i = 0; i < n; i++)
        dst[i] = xv_f16_bits(v[i]);
#endif
}

#if XV_HAS_AVX512
/* xv_bf16_bits of 16 values, written out for 512-bit vectors (the
 * compiler's own version splits them) */
XV_TARGET XV_INLINE void XV_FN(xv_bf16_int16)(uint16_t *dst, __m512 xf)
{
    const __m512i x = _mm512_castps_si512(xf);
    const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    const __m512i bias = _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), odd);
    _mm256_storeu_si256((__m256i *)dst,
                        _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_add_epi32(x, bias), 16)));
}
#endif

/* The same for bfloat16.  With AVX512_BF16, vcvtne2ps2bf16
 * rounds 32 values to nearest even too, but reads subnormal inputs as zero:
 * unless the caller knows there are none (nosub), 32 values holding one
 * (rare) take the integer way, so the bits are the same. */
XV_TARGET XV_INLINE void XV_FN(xv_put_bf16)(uint16_t *dst, const float *v, int n, int nosub)
{
    (void)nosub;
#if XV_HAS_AVX512
    int i = 0;
#if XV_HAS_AVX512BF16
    for (; i + 32 <= n; i += 32) {
        const __m512 a = _mm512_loadu_ps(v + i), b = _mm512_loadu_ps(v + i + 16);
        if (!nosub && (_mm512_fpclass_ps_mask(a, 0x20) | _mm512_fpclass_ps_mask(b, 0x20))) {
            XV_FN(xv_bf16_int16)(dst + i, a);   /* 0x20: subnormal */
            XV_FN(xv_bf16_int16)(dst + i + 16, b);
        } else {
            _mm512_storeu_si512((__m512i *)(dst + i), (__m512i)_mm512_cvtne2ps_pbh(b, a));
        }
    }
#endif
    for (; i < n; i += 16)
        XV_FN(xv_bf16_int16)(dst + i, _mm512_loadu_ps(v + i));
#else
    XV_SIMD
    for (int i = 0; i < n; i++)
        dst[i] = xv_bf16_bits(v[i]);
#endif
}

/* ---- float32, float16 and bfloat16 kernels of each distribution ---------- */

/* A group of float32 values from the lanes in r: xv_grp_*. */
typedef void (*XV_FN(xv_grp_fn))(XV_FN(xv_regs) *r, float *v, const xv_params_f *p);

/* ngroups groups of grp (len float32 values each) from the lanes in r into
 * dst.  The kernels pass constant functions and lengths: inlined, each call
 * becomes a loop of its own with the group inlined. */
XV_INLINE void XV_FN(xv_groups_f32)(XV_FN(xv_regs) *r, size_t ngroups, float *dst,
                                    const xv_params_f *p, XV_FN(xv_grp_fn) grp, int len)
{
    for (size_t g = 0; g < ngroups; g++)
        grp(r, dst + (size_t)len * g, p);
}

/* The same rounded to a half type by PUT (xv_put_*; NOSUB: no value is a
 * float32 subnormal), 32 values at a time (one 64-byte line) and a last
 * group of 16 if ngroups * LEN is not a multiple of 32, into the uint16_t
 * array at dst.  A macro: written as xv_groups_f32 is, GCC allocates the
 * lane state's registers differently and the avx2 path's bfloat16 normals
 * take 3% longer (4096^2 values, one thread: 20.3 against 19.7 ms, measured). */
#define XV_GROUPS_HALF(r, ngroups, dst, pf, GRP, LEN, PUT, NOSUB)                           \
    do {                                                                                    \
        size_t g = 0;                                                                       \
        for (; g + 32 / (LEN) <= (ngroups); g += 32 / (LEN)) {                              \
            float v[32];                                                                    \
            for (int h = 0; h < 32; h += (LEN))                                             \
                GRP(r, v + h, pf);                                                          \
            PUT((uint16_t *)(dst) + (LEN) * g, v, 32, NOSUB);                               \
        }                                                                                   \
        if (g < (ngroups)) {                                                                \
            float v[32];                                                                    \
            GRP(r, v, pf);                                                                  \
            PUT((uint16_t *)(dst) + (LEN) * g, v, (LEN), NOSUB);                            \
        }                                                                                   \
    } while (0)

#if XV_HAS_AVX512
#include "kernels_bf16_avx512.h"   /* xv_normal_bf16_fast */
#endif

/* A kernel's body: load the lanes into registers (r), write ngroups groups of
 * grp (len float32 values each) into out, store the lanes back.  It copies
 * the parameters (pf), so that stores to out need not reload them.  The
 * kernels pass constant functions and lengths, so each inlined call is a
 * loop of its own. */
XV_TARGET XV_INLINE void XV_FN(xv_run_f32)(xv_lanes *st, size_t ngroups, void *out,
                                           const xv_params *p, XV_FN(xv_grp_fn) grp, int len)
{
    const xv_params_f pf = p->f;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    XV_FN(xv_groups_f32)(&r, ngroups, out, &pf, grp, len);
    XV_FN(xv_store)(st, &r);
}

/* float32 values rounded to a half type: xv_put_*. */
typedef void (*XV_FN(xv_put_fn))(uint16_t *dst, const float *v, int n, int nosub);

/* The same, each group rounded to a half type by put (nosub: no value is a
 * float32 subnormal). */
XV_TARGET XV_INLINE void XV_FN(xv_run_half)(xv_lanes *st, size_t ngroups, void *out,
                                            const xv_params *p, XV_FN(xv_grp_fn) grp, int len,
                                            XV_FN(xv_put_fn) put, int nosub)
{
    const xv_params_f pf = p->f;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    XV_GROUPS_HALF(&r, ngroups, out, &pf, grp, len, put, nosub);
    XV_FN(xv_store)(st, &r);
}

/* Uniform: the plain form where make_params allows it (same values, and no
 * subnormals).  The half-precision kernels round the float32 group (the
 * uniform's cap already keeps its values below hi's half value:
 * half_uniform_cap). */
XV_TARGET static void XV_FN(xv_uniform_f32)(xv_lanes *st, size_t ngroups, void *out,
                                            const xv_params *p)
{
    if (p->f.plain)
        XV_FN(xv_run_f32)(st, ngroups, out, p, XV_FN(xv_grp_uniform_plain), 16);
    else
        XV_FN(xv_run_f32)(st, ngroups, out, p, XV_FN(xv_grp_uniform), 16);
}

/* The half-precision uniform kernels, by their rounding (put). */
XV_TARGET XV_INLINE void XV_FN(xv_uniform_half)(xv_lanes *st, size_t ngroups, void *out,
                                                const xv_params *p, XV_FN(xv_put_fn) put)
{
    if (p->f.plain)
        XV_FN(xv_run_half)(st, ngroups, out, p, XV_FN(xv_grp_uniform_plain), 16, put, 1);
    else
        XV_FN(xv_run_half)(st, ngroups, out, p, XV_FN(xv_grp_uniform), 16, put, 0);
}

XV_TARGET static void XV_FN(xv_uniform_f16)(xv_lanes *st, size_t ngroups, void *out,
                                            const xv_params *p)
{
    XV_FN(xv_uniform_half)(st, ngroups, out, p, XV_FN(xv_put_f16));
}

XV_TARGET static void XV_FN(xv_uniform_bf16)(xv_lanes *st, size_t ngroups, void *out,
                                             const xv_params *p)
{
    XV_FN(xv_uniform_half)(st, ngroups, out, p, XV_FN(xv_put_bf16));
}

/* Normal: plain parameters give no subnormal, so no check in the bfloat16
 * rounding; on the AVX-512 paths, bounded ones take the approximation
 * (kernels_bf16_avx512.h). */
XV_TARGET static void XV_FN(xv_normal_f32)(xv_lanes *st, size_t ngroups, void *out,
                                           const xv_params *p)
{
    XV_FN(xv_run_f32)(st, ngroups, out, p, XV_FN(xv_grp_normal), 32);
}

XV_TARGET static void XV_FN(xv_normal_f16)(xv_lanes *st, size_t ngroups, void *out,
                                           const xv_params *p)
{
    XV_FN(xv_run_half)(st, ngroups, out, p, XV_FN(xv_grp_normal), 32, XV_FN(xv_put_f16), 0);
}

XV_TARGET static void XV_FN(xv_normal_bf16)(xv_lanes *st, size_t ngroups, void *out,
                                            const xv_params *p)
{
    /* One load and store around both forms: written with xv_run_half, GCC
     * allocates the avx2 path's registers differently and this kernel takes
     * 3% longer (4096^2 values, one thread: 20.1 against 19.5 ms, measured). */
    const xv_params_f pf = p->f;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
#if XV_HAS_AVX512
    if (pf.bounded)
        XV_FN(xv_normal_bf16_fast)(&r, ngroups, out, &pf);
    else
#endif
    if (pf.plain)
        XV_GROUPS_HALF(&r, ngroups, out, &pf, XV_FN(xv_grp_normal), 32, XV_FN(xv_put_bf16), 1);
    else
        XV_GROUPS_HALF(&r, ngroups, out, &pf, XV_FN(xv_grp_normal), 32, XV_FN(xv_put_bf16), 0);
    XV_FN(xv_store)(st, &r);
}

/* Truncated normal: no shorter form. */
XV_TARGET static void XV_FN(xv_truncnorm_f32)(xv_lanes *st, size_t ngroups, void *out,
                                              const xv_params *p)
{
    XV_FN(xv_run_f32)(st, ngroups, out, p, XV_FN(xv_grp_truncnorm), 16);
}

XV_TARGET static void XV_FN(xv_truncnorm_f16)(xv_lanes *st, size_t ngroups, void *out,
                                              const xv_params *p)
{
    XV_FN(xv_run_half)(st, ngroups, out, p, XV_FN(xv_grp_truncnorm), 16, XV_FN(xv_put_f16), 0);
}

XV_TARGET static void XV_FN(xv_truncnorm_bf16)(xv_lanes *st, size_t ngroups, void *out,
                                               const xv_params *p)
{
    XV_FN(xv_run_half)(st, ngroups, out, p, XV_FN(xv_grp_truncnorm), 16, XV_FN(xv_put_bf16), 0);
}

/* ---- float64 kernels ----------------------------------------------------- */

XV_INLINE void XV_FN(xv_grp_uniform_f64)(XV_FN(xv_regs) *r, double *v, const xv_params *p)
{
    const double lo = p->d.lo, span = p->d.span, cap = p->d.cap;
    uint64_t x[8];
    XV_FN(xv_step8)(r, x);
    XV_SIMD
    for (int j = 0; j < 8; j++) {
        const double u = xv_u53_to_d(x[j] >> 11) * 0x1p-53;
        const double y = lo + span * u;
        v[j] = y < cap ? y : cap;
    }
}

XV_TARGET static void XV_FN(xv_uniform_f64)(xv_lanes *st, size_t ngroups, void *out,
                                            const xv_params *p)
{
    double *dst = (double *)out;
    const xv_params pc = *p;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    for (size_t g = 0; g < ngroups; g++)
        XV_FN(xv_grp_uniform_f64)(&r, dst + 8 * g, &pc);
    XV_FN(xv_store)(st, &r);
}

XV_TARGET static void XV_FN(xv_normal_f64)(xv_lanes *st, size_t ngroups, void *out,
                                           const xv_params *p)
{
    double *dst = (double *)out;
    const double mean = p->d.mean, sd = p->d.sd;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    for (size_t g = 0; g < ngroups; g++) {
        uint64_t xr[8], xa[8];
        XV_FN(xv_step8)(&r, xr);
        XV_FN(xv_step8)(&r, xa);
        double *o = dst + 16 * g;
        XV_SIMD
        for (int j = 0; j < 8; j++) {
            const double u1 = xv_u53_to_d((xr[j] >> 11) + 1) * 0x1p-53;   /* (0, 1] */
            const double rad = __builtin_sqrt(-2.0 * xv_log_d(u1));
            double cq, sq;  /* angle 2*pi*k / 2^53 */
            xv_cossin_turn_d(xa[j] >> 11, &cq, &sq);
            o[j] = mean + sd * (rad * cq);
            o[8 + j] = mean + sd * (rad * sq);
        }
    }
    XV_FN(xv_store)(st, &r);
}

/* As the float32 truncated normal, with k = x >> 11 and 2^53 in place of 2^24. */
XV_TARGET static void XV_FN(xv_truncnorm_f64)(xv_lanes *st, size_t ngroups, void *out,
                                              const xv_params *p)
{
    double *dst = (double *)out;
    const double mean = p->d.mean, sd = p->d.sd, clo = p->d.clo, chi = p->d.chi;
    const double pa = p->d.pa, qb = p->d.qb, w = p->d.w, qc = p->d.qc, h = p->d.h;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    for (size_t g = 0; g < ngroups; g++) {
        uint64_t xs[8];
        XV_FN(xv_step8)(&r, xs);
        XV_SIMD
        for (int j = 0; j < 8; j++) {
            const uint64_t k = xs[j] >> 11;
            const double kd = xv_u53_to_d(k);
            const double s = (kd * 0x1p-52 - 1.0) + 0x1p-53;              /* exact */
            const double q = qc + s * h;
            const double ulo = kd * 0x1p-53 + 0x1p-54;
            const double uhi = xv_u53_to_d(0x1FFFFFFFFFFFFFULL - k) * 0x1p-53 + 0x1p-54;
            const double t = (q < 0.0 ? pa : qb) + (q < 0.0 ? ulo : uhi) * w;
            const double x = mean + sd * xv_ndtri_d(q, t);
            const double y = x < clo ? clo : x;
            dst[8 * g + j] = y > chi ? chi : y;
        }
    }
    XV_FN(xv_store)(st, &r);
}

#ifdef XV_X86
/* Uniform float32 and float64 storing each group (one 64-byte line) with
 * streaming stores from registers, for fills far larger than the caches:
 * the values of xv_uniform_f32 / xv_uniform_f64, to a 16-byte aligned dst. */
XV_TARGET static void XV_FN(xv_uniform_f32_nt)(xv_lanes *st, size_t ngroups, void *out,
                                               const xv_params *p)
{
    char *dst = (char *)out;
    const xv_params_f pf = p->f;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    for (size_t g = 0; g < ngroups; g++) {
        _Alignas(64) float v[16];
        if (pf.plain)
            XV_FN(xv_grp_uniform_plain)(&r, v, &pf);
        else
            XV_FN(xv_grp_uniform)(&r, v, &pf);
        xv_stream_line(dst + 64 * g, v);
    }
    XV_FN(xv_store)(st, &r);
}

XV_TARGET static void XV_FN(xv_uniform_f64_nt)(xv_lanes *st, size_t ngroups, void *out,
                                               const xv_params *p)
{
    char *dst = (char *)out;
    const xv_params pc = *p;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    for (size_t g = 0; g < ngroups; g++) {
        _Alignas(64) double v[8];
        XV_FN(xv_grp_uniform_f64)(&r, v, &pc);
        xv_stream_line(dst + 64 * g, v);
    }
    XV_FN(xv_store)(st, &r);
}
#define XV_UNIFORM_NT {XV_FN(xv_uniform_f32_nt), XV_FN(xv_uniform_f64_nt)}
#else
#define XV_UNIFORM_NT {NULL, NULL}
#endif

/* indexed by kind = 4 * dist + type */
static const xv_kernels XV_FN(xv_kernels) = {
    XV_FN(xv_skip),
    {XV_FN(xv_uniform_f32), XV_FN(xv_uniform_f64), XV_FN(xv_uniform_f16), XV_FN(xv_uniform_bf16),
     XV_FN(xv_normal_f32), XV_FN(xv_normal_f64), XV_FN(xv_normal_f16), XV_FN(xv_normal_bf16),
     XV_FN(xv_truncnorm_f32), XV_FN(xv_truncnorm_f64), XV_FN(xv_truncnorm_f16),
     XV_FN(xv_truncnorm_bf16)},
    XV_COPY,
    XV_UNIFORM_NT,
};
#undef XV_UNIFORM_NT

#undef XV_GROUPS_HALF
#undef XV_HAS_F16C
#undef XV_HAS_AVX512
#undef XV_HAS_AVX512BF16
#undef XV_FN
#undef XV_NV
#undef XV_SUFFIX
#undef XV_TARGET
#undef XV_VEC
#undef XV_COPY
