/*
 * Group kernels of stream version 2, compiled once per SIMD path by
 * stream.c (XV_SUFFIX names the path, XV_TARGET sets its instruction set).
 * Each kernel advances the 8 interleaved xoshiro256++ lanes of one block and
 * writes `ngroups` whole groups; the layout of a group is the stream
 * definition (README, "Stream specification"):
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
 */

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

/* One step of all 8 lanes; the 8 outputs go to out[0..63] in lane order. */
XV_INLINE void XV_FN(xv_step8)(XV_FN(xv_regs) *r, void *out)
{
    XV_VEC x[XV_NV];
    for (int k = 0; k < XV_NV; k++)
        x[k] = XV_CAT(xv_step_, XV_VEC)(&r->a[k], &r->b[k], &r->c[k], &r->d[k]);
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

/* ---- float32, float16 and bfloat16 kernels of each distribution ---------- */

/* n float32 values (n a multiple of 16) to float16 bits, rounded to nearest
 * even: F16C's vcvtps2ph with the rounding mode in the instruction where the
 * path has it (XV_HALF_VEC = floats per vector), else xv_f16_bits; both are
 * exact IEEE rounding, so they agree on every input. */
XV_TARGET XV_INLINE void XV_FN(xv_put_f16)(uint16_t *dst, const float *v, int n, int nosub)
{
    (void)nosub;
#if XV_HALF_VEC == 16
    for (int i = 0; i < n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(v + i), _MM_FROUND_TO_NEAREST_INT));
#elif XV_HALF_VEC == 8
    for (int i = 0; i < n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(v + i), _MM_FROUND_TO_NEAREST_INT));
#else
    XV_SIMD
    for (int i = 0; i < n; i++)
        dst[i] = xv_f16_bits(v[i]);
#endif
}

#if XV_HALF_VEC == 16
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

/* The same for bfloat16.  With AVX512_BF16 (XV_BF16_CVT), vcvtne2ps2bf16
 * rounds 32 values to nearest even too, but reads subnormal inputs as zero:
 * unless the caller knows there are none (nosub), 32 values holding one
 * (rare) take the integer way, so the bits are the same. */
XV_TARGET XV_INLINE void XV_FN(xv_put_bf16)(uint16_t *dst, const float *v, int n, int nosub)
{
    (void)nosub;
#if XV_HALF_VEC == 16
    int i = 0;
#ifdef XV_BF16_CVT
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

/* ngroups groups of GRP (LEN float32 values each) from the lanes in r. */
#define XV_GROUPS_F32(GRP, LEN)                                                              \
    for (size_t g = 0; g < ngroups; g++)                                                     \
        GRP(&r, dst + (LEN) * g, &pf);

/* The same, rounded to a half type by PUT, 32 values at a time (one 64-byte
 * line) and a last group of 16 if ngroups * LEN is not a multiple of 32. */
#define XV_GROUPS_HALF(GRP, LEN, PUT, NOSUB)                                                 \
    {                                                                                        \
        size_t g = 0;                                                                        \
        for (; (g + 32 / (LEN)) <= ngroups; g += 32 / (LEN)) {                               \
            float v[32];                                                                     \
            for (int h = 0; h < 32; h += (LEN))                                              \
                GRP(&r, v + h, &pf);                                                         \
            PUT(dst + (LEN) * g, v, 32, NOSUB);                                              \
        }                                                                                    \
        if (g < ngroups) {                                                                   \
            float v[LEN];                                                                    \
            GRP(&r, v, &pf);                                                                 \
            PUT(dst + (LEN) * g, v, (LEN), NOSUB);                                           \
        }                                                                                    \
    }

#if XV_HALF_VEC == 16
/* ---- bfloat16 normals from a bounded approximation (AVX-512) ------------
 *
 * A bfloat16 value is the float32 stream value x rounded, so the rounding
 * only needs x to within its distance from the nearest rounding boundary.
 * These kernels compute an approximation x' with fused multiply-adds, a
 * table-driven ln and no division, and keep round(x') wherever x' is more
 * than XV_FAST_TOL float32 steps away from a boundary (a float32 whose low 16
 * bits are 0x8000); elsewhere (about 1.2% of 32-value groups) they compute
 * the group exactly.  The result is round(x) for every value:
 *
 *  - over all 2^32 radius words, ln' differs from the stream's ln u1 by a
 *    relative XV_FAST_LN_ERR at most, and is 0 exactly where it is; over all
 *    2^21 angles, sin' and cos' differ from the stream's by XV_FAST_TRIG_ERR
 *    at most.  xv_fast_normal_bounds measures both over every input (a
 *    test), and every operation here is exact IEEE arithmetic, so this holds
 *    on every AVX-512 CPU.
 *  - x = fl(fl(sd fl(sqrt(-2 ln))) trig) and x' = fl(fl(sqrt(fl(ln' k))) trig')
 *    with k = fl(-2 sd^2): with u = 2^-24, |x'/x - 1| <= XV_FAST_LN_ERR / 2 +
 *    XV_FAST_TRIG_ERR + 6u + O(u^2), at most 12.8 float32 steps (the step at
 *    |x| is at least |x| u), below XV_FAST_TOL = 16.  So x and x' have no
 *    boundary between them, and round the same (to nearest even, ties
 *    included, since x' is never on a boundary when kept).
 *  - make_params allows it (f.bounded) only for mean 0 and 2^-40 <= sd <= 2^40:
 *    then ln' k and x' are normal floats (|ln'| >= 2^-25 unless 0, and
 *    |x'| >= 2^-75), and mean + x' is x' (a zero x' is -0 as x is, so
 *    the sum gives the same zero). */

#define XV_FAST_TOL 16
#define XV_FAST_ROUND 2   /* groups a round: one test for both (measured faster) */
#define XV_FAST_LN_ERR 0x1.6a09e6p-22    /* 2^-21.5 */
#define XV_FAST_TRIG_ERR 0x1p-22

/* ln u1 for the radius words w (u1 = fl(w + 1) 2^-32 as in xv_normal_words):
 * u1 = 2^e m, m in [0.75, 1.5) from getmant; ln m from the XV_LN_ tables and
 * ln(1 + t) = t + t^2 (-1/2 + t (1/3 + t (-1/4 + t/5)))). */
XV_TARGET XV_INLINE __m512 XV_FN(xv_fast_ln)(__m512i w, const __m512 tab[4])
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

/* xv_sincos_octant_f's polynomials with fused multiply-adds, for the angle
 * words wa: f = (2j + 1) 2^-23 from 1 + f built in the bits (exact). */
XV_TARGET XV_INLINE void XV_FN(xv_fast_sincos)(__m512i wa, __m512 *sn, __m512 *cs)
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
    const __m512 rad = _mm512_sqrt_ps(_mm512_mul_ps(XV_FN(xv_fast_ln)(wr, c->tab), c->k));
    __m512 sn, cs;
    XV_FN(xv_fast_sincos)(wa, &sn, &cs);
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
#ifdef XV_BF16_CVT
    _mm512_storeu_si512((__m512i *)dst, (__m512i)_mm512_cvtne2ps_pbh(y, x));
#else
    XV_FN(xv_bf16_int16)(dst, x);
    XV_FN(xv_bf16_int16)(dst + 16, y);
#endif
}

XV_TARGET static void XV_FN(xv_normal_bf16_fast)(XV_FN(xv_regs) *r, size_t ngroups,
                                                 uint16_t *dst, const xv_params_f *p)
{
    XV_FN(xv_fast_consts) c;
    c.tab[0] = _mm512_loadu_ps(XV_LN_RCP);
    c.tab[1] = _mm512_loadu_ps(XV_LN_RCP + 16);
    c.tab[2] = _mm512_loadu_ps(XV_LN_LOG);
    c.tab[3] = _mm512_loadu_ps(XV_LN_LOG + 16);
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
#endif

/* A kernel: load the lanes, BODY with dst of type T, store the lanes.  The
 * parameters are copied (pf), so stores to dst need not reload them. */
#define XV_DEFINE_KERNEL(NAME, T, BODY)                                                      \
    XV_TARGET static void XV_FN(NAME)(xv_lanes *st, size_t ngroups, void *out,               \
                                      const xv_params *p)                                    \
    {                                                                                        \
        T *dst = (T *)out;                                                                   \
        const xv_params_f pf = p->f;                                                         \
        XV_FN(xv_regs) r;                                                                    \
        XV_FN(xv_load)(st, &r);                                                              \
        BODY                                                                                 \
        XV_FN(xv_store)(st, &r);                                                             \
    }

/* Uniform: the plain form where make_params allows it (same values).  The
 * half-precision kernels round the float32 group (the uniform's cap already
 * keeps its values below hi's half value: half_uniform_cap). */
#define XV_UNIFORM_HALF(PUT)                                                                 \
    if (p->f.plain)                                                                          \
        XV_GROUPS_HALF(XV_FN(xv_grp_uniform_plain), 16, PUT, 1)                              \
    else                                                                                     \
        XV_GROUPS_HALF(XV_FN(xv_grp_uniform), 16, PUT, 0)
XV_DEFINE_KERNEL(xv_uniform_f32, float,
                 if (p->f.plain) { XV_GROUPS_F32(XV_FN(xv_grp_uniform_plain), 16) }
                 else { XV_GROUPS_F32(XV_FN(xv_grp_uniform), 16) })
XV_DEFINE_KERNEL(xv_uniform_f16, uint16_t, XV_UNIFORM_HALF(XV_FN(xv_put_f16)))
XV_DEFINE_KERNEL(xv_uniform_bf16, uint16_t, XV_UNIFORM_HALF(XV_FN(xv_put_bf16)))

/* Normal: plain parameters give no subnormal, so no check in the bfloat16 rounding */
XV_DEFINE_KERNEL(xv_normal_f32, float, XV_GROUPS_F32(XV_FN(xv_grp_normal), 32))
XV_DEFINE_KERNEL(xv_normal_f16, uint16_t,
                 XV_GROUPS_HALF(XV_FN(xv_grp_normal), 32, XV_FN(xv_put_f16), 0))
#if XV_HALF_VEC == 16
#define XV_NORMAL_BF16_FAST if (p->f.bounded) XV_FN(xv_normal_bf16_fast)(&r, ngroups, dst, &pf); else
#else
#define XV_NORMAL_BF16_FAST
#endif
XV_DEFINE_KERNEL(xv_normal_bf16, uint16_t,
                 XV_NORMAL_BF16_FAST
                 if (p->f.plain) XV_GROUPS_HALF(XV_FN(xv_grp_normal), 32, XV_FN(xv_put_bf16), 1)
                 else XV_GROUPS_HALF(XV_FN(xv_grp_normal), 32, XV_FN(xv_put_bf16), 0))
#undef XV_NORMAL_BF16_FAST

XV_DEFINE_KERNEL(xv_truncnorm_f32, float, XV_GROUPS_F32(XV_FN(xv_grp_truncnorm), 16))
XV_DEFINE_KERNEL(xv_truncnorm_f16, uint16_t,
                 XV_GROUPS_HALF(XV_FN(xv_grp_truncnorm), 16, XV_FN(xv_put_f16), 0))
XV_DEFINE_KERNEL(xv_truncnorm_bf16, uint16_t,
                 XV_GROUPS_HALF(XV_FN(xv_grp_truncnorm), 16, XV_FN(xv_put_bf16), 0))

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

#ifdef XV_STREAM_LINE
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
        XV_STREAM_LINE(dst + 64 * g, v);
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
        XV_STREAM_LINE(dst + 64 * g, v);
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

#undef XV_GROUPS_F32
#undef XV_GROUPS_HALF
#undef XV_DEFINE_KERNEL
#undef XV_UNIFORM_HALF
#undef XV_HALF_VEC
#undef XV_BF16_CVT
#undef XV_FN
#undef XV_NV
#undef XV_SUFFIX
#undef XV_TARGET
#undef XV_VEC
#undef XV_COPY
