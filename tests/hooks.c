/*
 * Test hooks (hooks.h): the functions of vmath.h and kernels_bf16_avx512.h
 * that the kernels inline, called on arrays of given inputs.
 */
#include "hooks.h"

/* The same exact IEEE operations as in the core: never fuse a*b+c (clang
 * honours this pragma; the build passes -ffp-contract=off for GCC). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "vmath.h"

void xv_log_f32(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = xv_log_f(x[i]);
}

void xv_log_f64(const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = xv_log_d(x[i]);
}

void xv_octant_f32(const uint32_t *j, float *s, float *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        xv_sincos_octant_f((int32_t)j[i], &s[i], &c[i]);
}

void xv_turn_f64(const uint64_t *k, double *c, double *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        xv_cossin_turn_d(k[i], &c[i], &s[i]);
}

void xv_ndtr_f64(const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = xv_ndtr(x[i]);
}

void xv_round_f16(const float *x, uint16_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = xv_f16_bits(x[i]);
}

void xv_round_bf16(const float *x, uint16_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = xv_bf16_bits(x[i]);
}

/* ---- the bounded bfloat16 normal's premises ------------------------------ */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "kernels_bf16_avx512.h"

#ifdef __clang__
#define HOOKS_AVX512_TARGET __attribute__((target("avx512f")))
#else /* GCC would otherwise keep to 256-bit vectors */
#define HOOKS_AVX512_TARGET __attribute__((target("avx512f,prefer-vector-width=512")))
#endif

/* The largest relative difference of xv_fast_ln from the stream's ln u1
 * (xv_log_f of xv_u1_f, as xv_normal_words computes it) over the radius
 * words [lo, hi); words where exactly one ln is zero, or the zeros' signs
 * differ, are counted in *zeros. */
HOOKS_AVX512_TARGET static float fast_ln_err(uint64_t lo, uint64_t hi, uint64_t *zeros)
{
    __m512 tab[4];
    xv_fast_ln_tables(tab);
    const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512 worst = _mm512_setzero_ps();
    uint64_t nz = 0;
    for (uint64_t w0 = lo; w0 < hi; w0 += 16) {
        const __m512i w = _mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)w0), step);
        uint32_t ws[16];
        float ref[16];
        _mm512_storeu_si512((__m512i *)ws, w);
#pragma omp simd
        for (int i = 0; i < 16; i++)
            ref[i] = xv_log_f(xv_u1_f(ws[i]));
        const __m512 a = xv_fast_ln(w, tab), b = _mm512_loadu_ps(ref);
        const __mmask16 za = _mm512_cmpeq_ps_mask(a, _mm512_setzero_ps());
        const __mmask16 zb = _mm512_cmpeq_ps_mask(b, _mm512_setzero_ps());
        const __mmask16 same = _mm512_cmpeq_epi32_mask(_mm512_castps_si512(a),
                                                       _mm512_castps_si512(b));
        nz += (uint64_t)__builtin_popcount((unsigned)((za ^ zb) | (za & zb & (__mmask16)~same)));
        /* |a - b| / |b| (a - b exact where they are within a factor 2); NaN as 2 */
        __m512 r = _mm512_div_ps(_mm512_abs_ps(_mm512_sub_ps(a, b)), _mm512_abs_ps(b));
        r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(r, r, _CMP_UNORD_Q), _mm512_set1_ps(2.0f));
        worst = _mm512_mask_max_ps(worst, (__mmask16)~zb, worst, r);
    }
    *zeros += nz;
    return _mm512_reduce_max_ps(worst);
}

/* The largest relative difference of xv_fast_sincos's sine and cosine from
 * xv_sincos_octant_f's over all 2^21 angles. */
HOOKS_AVX512_TARGET static float fast_trig_err(void)
{
    float worst = 0.0f;
    for (uint32_t j0 = 0; j0 < (1u << 21); j0 += 16) {
        uint32_t wa[16];
        float s[16], c[16], s2[16], c2[16];
        for (int i = 0; i < 16; i++) {
            wa[i] = (j0 + (uint32_t)i) << 8;
            xv_sincos_octant_f((int32_t)(j0 + (uint32_t)i), &s[i], &c[i]);
        }
        __m512 sn, cs;
        xv_fast_sincos(_mm512_loadu_si512((const __m512i *)wa), &sn, &cs);
        _mm512_storeu_ps(s2, sn);
        _mm512_storeu_ps(c2, cs);
        for (int i = 0; i < 16; i++) {
            const float es = fabsf(s2[i] - s[i]) / s[i], ec = fabsf(c2[i] - c[i]) / c[i];
            worst = !(es <= worst) ? (es == es ? es : 2.0f) : worst;
            worst = !(ec <= worst) ? (ec == ec ? ec : 2.0f) : worst;
        }
    }
    return worst;
}

long xv_fast_normal_bounds(double out[4], int threads)
{
    const uint64_t nchunks = 256, chunk = ((uint64_t)1 << 32) / nchunks;
    float worst = 0.0f;
    uint64_t zeros = 0;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic) reduction(max : worst) \
    reduction(+ : zeros)
#endif
    for (long c = 0; c < (long)nchunks; c++) {
        const float e = fast_ln_err((uint64_t)c * chunk, (uint64_t)(c + 1) * chunk, &zeros);
        worst = e > worst ? e : worst;
    }
    out[0] = worst;
    out[1] = fast_trig_err();
    out[2] = XV_FAST_LN_ERR;
    out[3] = XV_FAST_TRIG_ERR;
    return (long)zeros;
}
#else
long xv_fast_normal_bounds(double out[4], int threads)
{
    (void)out;
    (void)threads;
    return -1;   /* no AVX-512 code on this architecture */
}
#endif
