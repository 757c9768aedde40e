/*
 * bfloat16 normals from a bounded approximation, on the AVX-512 paths.
 *
 * A bfloat16 value is the float32 stream value x rounded, so the rounding
 * only needs x to within its distance from the nearest rounding boundary.
 * The kernel computes an approximation x' with fused multiply-adds, a
 * table-driven ln and no division, and keeps round(x') wherever x' is more
 * than XV_FAST_TOL float32 steps away from a boundary (a float32 whose low 16
 * bits are 0x8000); elsewhere (about 1.2% of 32-value groups) it computes
 * the group exactly.  The result is round(x) for every value:
 *
 *  - over all 2^32 radius words, ln' differs from the stream's ln u1 by a
 *    relative XV_FAST_LN_ERR at most, and is 0 exactly where it is; over all
 *    2^21 angles, sin' and cos' differ from the stream's by XV_FAST_TRIG_ERR
 *    at most.  The test hooks (tests/hooks.c, xv_fast_normal_bounds) measure
 *    both over every input, and every operation here is exact IEEE
 *    arithmetic, so this holds on every AVX-512 CPU.
 *  - x = fl(fl(sd fl(sqrt(-2 ln))) trig) and x' = fl(fl(sqrt(fl(ln' k))) trig')
 *    with k = fl(-2 sd^2): with u = 2^-24, |x'/x - 1| <= XV_FAST_LN_ERR / 2 +
 *    XV_FAST_TRIG_ERR + 6u + O(u^2), at most 12.8 float32 steps (the step at
 *    |x| is at least |x| u), below XV_FAST_TOL = 16.  So x and x' have no
 *    boundary between them, and round the same (to nearest even, ties
 *    included, since x' is never on a boundary when kept).
 *  - make_params allows it (f.bounded) only for mean 0 and 2^-40 <= sd <= 2^40:
 *    then ln' k and x' are normal floats (|ln'| >= 2^-25 unless 0, and
 *    |x'| >= 2^-75), and mean + x' is x' (a zero x' is -0 as x is, so
 *    the sum gives the same zero).
 *
 * The first part, the approximations and their bounds, is defined once, for
 * the kernels and for the test hooks.  The second part, the kernel, is
 * compiled for each AVX-512 path: stream_kernels.h includes this file again
 * with the path's XV_FN, XV_TARGET and XV_HAS_AVX512BF16 defined.
 */
#ifndef XAVIER_KERNELS_BF16_AVX512_H
#define XAVIER_KERNELS_BF16_AVX512_H

#include <immintrin.h>

#include "vmath.h"

#define XV_FAST_TOL 16
#define XV_FAST_ROUND 2   /* groups a round: one test for both (measured faster) */
#define XV_FAST_LN_ERR 0x1.6a09e6p-22    /* 2^-21.5 */
#define XV_FAST_TRIG_ERR 0x1p-22

/* The approximations use AVX-512 Foundation instructions only, so every
 * AVX-512 path can inline them. */
#define XV_FAST_TARGET __attribute__((target("avx512f")))

/* ln u1 for the radius words w (u1 = fl(w + 1) 2^-32 as in xv_normal_words):
 * u1 = 2^e m, m in [0.75, 1.5) from getmant; ln m from the XV_LN_ tables and
 * ln(1 + t) = t + t^2 (-1/2 + t (1/3 + t (-1/4 + t/5)))). */
XV_FAST_TARGET XV_INLINE __m512 xv_fast_ln(__m512i w, const __m512 tab[4])
{
    /* w + 1 without wrapping: 2^32 - 1 rounds to 2^32, as 2^32 would */
    const __m512i w1 = _mm512_add_epi32(_mm512_min_epu32(w, _mm512_set1_epi32((int)0xFFFFFFFEu)),
                                        _mm512_set1_epi32(1));
    const __m512 v = _mm512_cvtepu32_ps(w1);   /* 2^32 u1 */
    const __m512 m = _mm512_getmant_ps(v, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_src);
    /* e = floor(log2(u1 4/3)): v's mantissa M in [1, 2) has M fl(4/3) >= 2
     * exactly when M >= 1.5 (for M <= 1.5 - 2^-23 the product stays below the
     * rounding boundary 2 - 2^-24), so fl(v fl(4/3)) 2^-32 has m's exponent. */
    const __m512 e = _mm512_getexp_ps(_mm512_mul_ps(v, _mm512_set1_ps(0x1.555556p-32f)));
    const __m512i idx = _mm512_srli_epi32(_mm512_castps_si512(m), 18);   /* low 5 bits used */
    const __m512 rcp = _mm512_permutex2var_ps(tab[0], idx, tab[1]);
    const __m512 lnc = _mm512_permutex2var_ps(tab[2], idx, tab[3]);
    const __m512 t = _mm512_fmsub_ps(m, rcp, _mm512_set1_ps(1.0f));
    __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(0.2f), t, _mm512_set1_ps(-0.25f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(1.0f / 3.0f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(-0.5f));
    const __m512 ln1p = _mm512_fmadd_ps(_mm512_mul_ps(t, t), q, t);
    return _mm512_add_ps(_mm512_fmadd_ps(e, _mm512_set1_ps(0.693147182f), lnc), ln1p);
}

/* The tables xv_fast_ln reads, in registers. */
XV_FAST_TARGET XV_INLINE void xv_fast_ln_tables(__m512 tab[4])
{
    tab[0] = _mm512_loadu_ps(XV_LN_RCP);
    tab[1] = _mm512_loadu_ps(XV_LN_RCP + 16);
    tab[2] = _mm512_loadu_ps(XV_LN_LOG);
    tab[3] = _mm512_loadu_ps(XV_LN_LOG + 16);
}

/* xv_sincos_octant_f's polynomials with fused multiply-adds, for the angle
 * words wa: f = (2j + 1) 2^-23 from 1 + f built in the bits (exact). */
XV_FAST_TARGET XV_INLINE void xv_fast_sincos(__m512i wa, __m512 *sn, __m512 *cs)
{
    const __m512i fb = _mm512_ternarylogic_epi32(_mm512_srli_epi32(wa, 7), _mm512_set1_epi32(0x3FFFFE),
                                                 _mm512_set1_epi32(0x3F800001), 0xEA); /* a&b | c */
    const __m512 f = _mm512_sub_ps(_mm512_castsi512_ps(fb), _mm512_set1_ps(1.0f));
    const __m512 z = _mm512_mul_ps(f, f);
    __m512 ps = _mm512_fmadd_ps(_mm512_set1_ps(-0x1.2d9370p-8f), z, _mm512_set1_ps(0x1.465e94p-4f));
    ps = _mm512_fmsub_ps(ps, z, _mm512_set1_ps(0x1.4abbbap-1f));
    ps = _mm512_fmadd_ps(ps, z, _mm512_set1_ps(0x1.921fb6p+0f));
    *sn = _mm512_mul_ps(f, ps);
    __m512 pc = _mm512_fmadd_ps(_mm512_set1_ps(-0x1.4e84e0p-6f), z, _mm512_set1_ps(0x1.03b092p-2f));
    pc = _mm512_fmsub_ps(pc, z, _mm512_set1_ps(0x1.3bd39cp+0f));
    *cs = _mm512_fmadd_ps(z, pc, _mm512_set1_ps(1.0f));
}

#endif /* XAVIER_KERNELS_BF16_AVX512_H */

#ifdef XV_FN
/* ---- the kernel, for the AVX-512 path being compiled -------------------- */

/* The exact group for the words, out of the kernel's loop (rarely taken). */
XV_TARGET __attribute__((noinline)) static void XV_FN(xv_normal_exact)(__m512i wr, __m512i wa,
                                                                      float *v,
                                                                      const xv_params_f *p)
{
    uint32_t r[16], a[16];
    _mm512_storeu_si512((__m512i *)r, wr);
    _mm512_storeu_si512((__m512i *)a, wa);
    XV_FN(xv_normal_words)(r, a, v, p);
}

/* One xv_step8, its 8 outputs as 16 words */
XV_TARGET XV_INLINE __m512i XV_FN(xv_fast_step)(XV_FN(xv_regs) *r)
{
    uint64_t x[8];
    XV_FN(xv_step8)(r, x);
    return _mm512_loadu_si512((const __m512i *)x);
}

/* One group's approximate values (x: values 0..15, y: 16..31), its words,
 * and the mask of values within XV_FAST_TOL steps of a rounding boundary. */
typedef struct {
    __m512 tab[4], k, mean;
    __m512i sign, low;
} XV_FN(xv_fast_consts);

XV_TARGET XV_INLINE __mmask32 XV_FN(xv_fast_group)(XV_FN(xv_regs) *r,
                                                   const XV_FN(xv_fast_consts) *c, __m512 *xo,
                                                   __m512 *yo, __m512i *wro, __m512i *wao)
{
    const __m512i wr = XV_FN(xv_fast_step)(r);
    const __m512i wa = XV_FN(xv_fast_step)(r);
    const __m512 rad = _mm512_sqrt_ps(_mm512_mul_ps(xv_fast_ln(wr, c->tab), c->k));
    __m512 sn, cs;
    xv_fast_sincos(wa, &sn, &cs);
    const __mmask16 swap = _mm512_test_epi32_mask(wa, _mm512_set1_epi32(1 << 29));
    __m512 x = _mm512_mul_ps(rad, _mm512_mask_blend_ps(swap, cs, sn));
    __m512 y = _mm512_mul_ps(rad, _mm512_mask_blend_ps(swap, sn, cs));
    /* x ^ (wa & sign), y ^ ((wa << 1) & sign) */
    x = _mm512_add_ps(c->mean, _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
                                   _mm512_castps_si512(x), wa, c->sign, 0x78)));
    y = _mm512_add_ps(c->mean, _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
                                   _mm512_castps_si512(y), _mm512_slli_epi32(wa, 1), c->sign, 0x78)));
    *xo = x;
    *yo = y;
    *wro = wr;
    *wao = wa;
    /* |low 16 bits - 0x8000| <= XV_FAST_TOL, for the 16 x and the 16 y values */
    const __m512i lw = _mm512_permutex2var_epi16(_mm512_castps_si512(x), c->low,
                                                 _mm512_castps_si512(y));
    return _mm512_cmple_epu16_mask(
        _mm512_sub_epi16(lw, _mm512_set1_epi16((short)(0x8000 - XV_FAST_TOL))),
        _mm512_set1_epi16(2 * XV_FAST_TOL));
}

XV_TARGET XV_INLINE void XV_FN(xv_fast_put)(uint16_t *dst, __m512 x, __m512 y)
{
#if XV_HAS_AVX512BF16
    _mm512_storeu_si512((__m512i *)dst, (__m512i)_mm512_cvtne2ps_pbh(y, x));
#else
    XV_FN(xv_bf16_int16)(dst, x);
    XV_FN(xv_bf16_int16)(dst + 16, y);
#endif
}

/* ngroups groups of bfloat16 normals from the lanes in r (the values of
 * xv_normal_words, rounded), for parameters with f.bounded set. */
XV_TARGET static void XV_FN(xv_normal_bf16_fast)(XV_FN(xv_regs) *r, size_t ngroups,
                                                 uint16_t *dst, const xv_params_f *p)
{
    XV_FN(xv_fast_consts) c;
    xv_fast_ln_tables(c.tab);
    c.k = _mm512_set1_ps(p->nk);
    c.mean = _mm512_set1_ps(p->mean);
    c.sign = _mm512_set1_epi32((int)0x80000000u);
    /* word i: the low half of x's value i (i < 16), of y's value i - 16 after */
    c.low = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32, 30,
                             28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    size_t g = 0;
    for (; g + XV_FAST_ROUND <= ngroups; g += XV_FAST_ROUND) {
        __m512 x[XV_FAST_ROUND], y[XV_FAST_ROUND];
        __m512i wr[XV_FAST_ROUND], wa[XV_FAST_ROUND];
        __mmask32 n[XV_FAST_ROUND], any = 0;
        for (int h = 0; h < XV_FAST_ROUND; h++) {
            n[h] = XV_FN(xv_fast_group)(r, &c, &x[h], &y[h], &wr[h], &wa[h]);
            any |= n[h];
        }
        if (any) {
            for (int h = 0; h < XV_FAST_ROUND; h++)
                if (n[h]) {
                    float v[32];
                    XV_FN(xv_normal_exact)(wr[h], wa[h], v, p);
                    x[h] = _mm512_loadu_ps(v);
                    y[h] = _mm512_loadu_ps(v + 16);
                }
        }
        for (int h = 0; h < XV_FAST_ROUND; h++)
            XV_FN(xv_fast_put)(dst + 32 * (g + h), x[h], y[h]);
    }
    for (; g < ngroups; g++) {
        __m512 x, y;
        __m512i wr, wa;
        if (XV_FN(xv_fast_group)(r, &c, &x, &y, &wr, &wa)) {
            float v[32];
            XV_FN(xv_normal_exact)(wr, wa, v, p);
            x = _mm512_loadu_ps(v);
            y = _mm512_loadu_ps(v + 16);
        }
        XV_FN(xv_fast_put)(dst + 32 * g, x, y);
    }
}
#endif /* XV_FN */
