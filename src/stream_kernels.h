/*
 * Group kernels of stream version 1, compiled once per SIMD path by
 * stream.c (XV_SUFFIX names the path, XV_TARGET sets its instruction set).
 * Each kernel advances the 8 interleaved xoshiro256++ lanes of one block and
 * writes `ngroups` whole groups; the layout of a group is the stream
 * definition (README, "Stream specification"):
 *
 *   uniform float32: 1 step  -> 16 values, value i from 32-bit word i of the
 *                    step's 8 outputs read as 16 little-endian words
 *                    (word 2j = low half of lane j, 2j+1 = high half);
 *                    u = (w >> 8) * 2^-24
 *   uniform float64: 1 step  -> 8 values, u = (x >> 11) * 2^-53
 *   normal  float32: 2 steps -> 32 values: values 0..15 r*cos, 16..31 r*sin,
 *                    radius from word i of step A, angle from word i of step B
 *   normal  float64: 2 steps -> 16 values: values 0..7 r*cos, 8..15 r*sin,
 *                    radius from lane j of step A, angle from lane j of step B
 *
 * Every path computes the same IEEE operations in the same order, so all
 * paths give bit-identical output (tests/test_stream.py checks this).
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

XV_TARGET static void XV_FN(xv_uniform_f32)(xv_lanes *st, size_t ngroups, void *out,
                                            const xv_params *p)
{
    float *dst = (float *)out;
    const float lo = p->lo_f, span = p->span_f, cap = p->cap_f;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    for (size_t g = 0; g < ngroups; g++) {
        uint32_t w[16];
        XV_FN(xv_step8)(&r, w);
        XV_SIMD
        for (int i = 0; i < 16; i++) {
            const float u = (float)(int32_t)(w[i] >> 8) * 0x1p-24f;
            const float v = lo + span * u;
            dst[16 * g + i] = v < cap ? v : cap;
        }
    }
    XV_FN(xv_store)(st, &r);
}

XV_TARGET static void XV_FN(xv_uniform_f64)(xv_lanes *st, size_t ngroups, void *out,
                                            const xv_params *p)
{
    double *dst = (double *)out;
    const double lo = p->lo_d, span = p->span_d, cap = p->cap_d;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    for (size_t g = 0; g < ngroups; g++) {
        uint64_t x[8];
        XV_FN(xv_step8)(&r, x);
        XV_SIMD
        for (int j = 0; j < 8; j++) {
            const double u = xv_u53_to_d(x[j] >> 11) * 0x1p-53;
            const double v = lo + span * u;
            dst[8 * g + j] = v < cap ? v : cap;
        }
    }
    XV_FN(xv_store)(st, &r);
}

XV_TARGET static void XV_FN(xv_normal_f32)(xv_lanes *st, size_t ngroups, void *out,
                                           const xv_params *p)
{
    float *dst = (float *)out;
    const float mean = p->lo_f, sd = p->span_f;
    XV_FN(xv_regs) r;
    XV_FN(xv_load)(st, &r);
    for (size_t g = 0; g < ngroups; g++) {
        uint32_t wr[16], wa[16];
        XV_FN(xv_step8)(&r, wr);
        XV_FN(xv_step8)(&r, wa);
        float *o = dst + 32 * g;
        XV_SIMD
        for (int i = 0; i < 16; i++) {
            /* radius uniform in (0, 1] from all 32 bits: one rounding */
            const float u1 = (float)(int32_t)(wr[i] >> 8) * 0x1p-24f +
                             (float)(int32_t)((wr[i] & 0xFFu) + 1u) * 0x1p-32f;
            const float r = __builtin_sqrtf(-2.0f * xv_log_f(u1));
            float cq, sq;   /* angle 2*pi*k / 2^24 */
            xv_cossin_turn_f((int32_t)(wa[i] >> 8), &cq, &sq);
            o[i] = mean + sd * (r * cq);
            o[16 + i] = mean + sd * (r * sq);
        }
    }
    XV_FN(xv_store)(st, &r);
}

XV_TARGET static void XV_FN(xv_normal_f64)(xv_lanes *st, size_t ngroups, void *out,
                                           const xv_params *p)
{
    double *dst = (double *)out;
    const double mean = p->lo_d, sd = p->span_d;
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
            const double r = __builtin_sqrt(-2.0 * xv_log_d(u1));
            double cq, sq;  /* angle 2*pi*k / 2^53 */
            xv_cossin_turn_d(xa[j] >> 11, &cq, &sq);
            o[j] = mean + sd * (r * cq);
            o[8 + j] = mean + sd * (r * sq);
        }
    }
    XV_FN(xv_store)(st, &r);
}

static const xv_kernels XV_FN(xv_kernels) = {
    XV_FN(xv_skip),
    {XV_FN(xv_uniform_f32), XV_FN(xv_uniform_f64), XV_FN(xv_normal_f32), XV_FN(xv_normal_f64)},
    XV_COPY,
};

#undef XV_FN
#undef XV_NV
#undef XV_SUFFIX
#undef XV_TARGET
#undef XV_VEC
#undef XV_COPY
