/*
 * Branch-free natural log and quarter-turn sine/cosine for Box-Muller, in
 * float32 and float64.  Plain C with no libm calls, written so that the
 * compiler vectorizes loops that call them.  Every operation is an IEEE
 * operation the compiler may not fuse (build with -ffp-contract=off), so the
 * result is bit-identical on every SIMD path.
 *
 *   xv_log_f / xv_log_d:  ln(u) for normal positive u <= 1.
 *       u = 2^e * m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s),
 *       s = (m - 1) / (m + 1), |s| <= 0.1716, by its Taylor series;
 *       e * ln 2 is added in two parts (Cody & Waite) so e * ln2_hi is exact.
 *   xv_sincos_qpi_f / xv_sincos_qpi_d:  sin and cos of (pi/2) * f, |f| <= 1/2,
 *       by their Taylor series (|x| <= pi/4).
 *   xv_cossin_turn_f / xv_cossin_turn_d:  cos and sin of 2*pi * k / 2^bits
 *       (bits = 24 / 53): the angle is reduced exactly in integers to a
 *       quadrant q = round(4k / 2^bits) and a rest f = 4k / 2^bits - q, so no
 *       large-argument reduction is needed and zeros of sin/cos are exact.
 *
 * Series lengths are set so the truncation error is below half an ulp.
 */
#ifndef XAVIER_VMATH_H
#define XAVIER_VMATH_H

#include <stdint.h>
#include <string.h>

#define XV_INLINE static inline __attribute__((always_inline))

XV_INLINE uint32_t xv_f2u(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
XV_INLINE float xv_u2f(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
XV_INLINE uint64_t xv_d2u(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
XV_INLINE double xv_u2d(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* ---- float32 ---------------------------------------------------------- */

XV_INLINE float xv_log_f(float u)
{
    const uint32_t b = xv_f2u(u);
    const uint32_t mant = b & 0x007FFFFFu;
    const uint32_t big = mant > 0x003504F3u;            /* m > sqrt(2) */
    const float m = xv_u2f(mant | (big ? 0x3F000000u : 0x3F800000u));
    const float e = (float)((int32_t)(b >> 23) - 127 + (int32_t)big);
    const float s = (m - 1.0f) / (m + 1.0f);
    const float s2 = s * s;
    float p = (float)(1.0 / 11.0);
    p = p * s2 + (float)(1.0 / 9.0);
    p = p * s2 + (float)(1.0 / 7.0);
    p = p * s2 + (float)(1.0 / 5.0);
    p = p * s2 + (float)(1.0 / 3.0);
    const float lnm = (s + s) + (s + s) * (s2 * p);
    /* ln 2 = 0.693359375 - 2.12194440e-4; e * 0.693359375 is exact. */
    return e * 0.693359375f + (e * -2.12194440e-4f + lnm);
}

XV_INLINE void xv_sincos_qpi_f(float f, float *sn, float *cs)
{
    const float x = f * 1.57079632679489661923f;
    const float x2 = x * x;
    float ps = (float)(-1.0 / 39916800.0);
    ps = ps * x2 + (float)(1.0 / 362880.0);
    ps = ps * x2 + (float)(-1.0 / 5040.0);
    ps = ps * x2 + (float)(1.0 / 120.0);
    ps = ps * x2 + (float)(-1.0 / 6.0);
    *sn = x + x * (x2 * ps);
    float pc = (float)(1.0 / 479001600.0);
    pc = pc * x2 + (float)(-1.0 / 3628800.0);
    pc = pc * x2 + (float)(1.0 / 40320.0);
    pc = pc * x2 + (float)(-1.0 / 720.0);
    pc = pc * x2 + (float)(1.0 / 24.0);
    pc = pc * x2 - 0.5f;
    *cs = 1.0f + x2 * pc;
}

/* Rotate (cos, sin) of the rest angle by q quarter turns. */
#define XV_ROTATE_QUADRANT(q, sn, cs, c_out, s_out)                         \
    do {                                                                    \
        const __typeof__(q) swap_ = (q) & 1;                                \
        const __typeof__(sn) c0_ = swap_ ? (sn) : (cs);                     \
        const __typeof__(sn) s0_ = swap_ ? (cs) : (sn);                     \
        *(c_out) = (((q) + 1) & 2) ? -c0_ : c0_;                            \
        *(s_out) = ((q) & 2) ? -s0_ : s0_;                                  \
    } while (0)

/* cos and sin of 2*pi * k / 2^24, 0 <= k < 2^24. */
XV_INLINE void xv_cossin_turn_f(int32_t k, float *c, float *s)
{
    const int32_t q = (k + (1 << 21)) >> 22;
    const float f = (float)(k - (q << 22)) * 0x1p-22f;   /* exact, in [-1/2, 1/2) */
    float sn, cs;
    xv_sincos_qpi_f(f, &sn, &cs);
    XV_ROTATE_QUADRANT(q, sn, cs, c, s);
}

/* ---- float64 ---------------------------------------------------------- */

/* Exact conversion of an integer k < 2^53 to double, without int64->double
 * instructions (AVX2 has none): k = hi * 2^52 + lo, lo through the 2^52 trick. */
XV_INLINE double xv_u53_to_d(uint64_t k)
{
    const double lo = xv_u2d(0x4330000000000000ULL | (k & 0x000FFFFFFFFFFFFFULL)) - 0x1p52;
    return lo + xv_u2d((0 - (k >> 52)) & 0x4330000000000000ULL);   /* + 2^52 or + 0 */
}

XV_INLINE double xv_log_d(double u)
{
    const uint64_t b = xv_d2u(u);
    const uint64_t mant = b & 0x000FFFFFFFFFFFFFULL;
    const uint64_t big = mant > 0x0006A09E667F3BCDULL;   /* m > sqrt(2) */
    const double m = xv_u2d(mant | (big ? 0x3FE0000000000000ULL : 0x3FF0000000000000ULL));
    const double ebias = xv_u2d(0x4330000000000000ULL | ((b >> 52) + big)) - 0x1p52;
    const double e = ebias - 1023.0;
    const double s = (m - 1.0) / (m + 1.0);
    const double s2 = s * s;
    double p = 1.0 / 23.0;
    p = p * s2 + 1.0 / 21.0;
    p = p * s2 + 1.0 / 19.0;
    p = p * s2 + 1.0 / 17.0;
    p = p * s2 + 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    const double lnm = (s + s) + (s + s) * (s2 * p);
    /* fdlibm's split of ln 2: e * ln2_hi is exact for |e| < 2^11. */
    return e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + lnm);
}

XV_INLINE void xv_sincos_qpi_d(double f, double *sn, double *cs)
{
    const double x = f * 1.57079632679489661923;
    const double x2 = x * x;
    double ps = -1.0 / 121645100408832000.0;   /* -1/19! */
    ps = ps * x2 + 1.0 / 355687428096000.0;    /* 1/17! */
    ps = ps * x2 - 1.0 / 1307674368000.0;      /* 1/15! */
    ps = ps * x2 + 1.0 / 6227020800.0;
    ps = ps * x2 - 1.0 / 39916800.0;
    ps = ps * x2 + 1.0 / 362880.0;
    ps = ps * x2 - 1.0 / 5040.0;
    ps = ps * x2 + 1.0 / 120.0;
    ps = ps * x2 - 1.0 / 6.0;
    *sn = x + x * (x2 * ps);
    double pc = 1.0 / 6402373705728000.0;      /* 1/18! */
    pc = pc * x2 - 1.0 / 20922789888000.0;     /* 1/16! */
    pc = pc * x2 + 1.0 / 87178291200.0;
    pc = pc * x2 - 1.0 / 479001600.0;
    pc = pc * x2 + 1.0 / 3628800.0;
    pc = pc * x2 - 1.0 / 40320.0;
    pc = pc * x2 + 1.0 / 720.0;
    pc = pc * x2 - 1.0 / 24.0;
    pc = pc * x2 + 0.5;
    *cs = 1.0 - x2 * pc;
}

/* cos and sin of 2*pi * k / 2^53, 0 <= k < 2^53. */
XV_INLINE void xv_cossin_turn_d(uint64_t k, double *c, double *s)
{
    const uint64_t q = (k + (UINT64_C(1) << 50)) >> 51;
    /* k - q * 2^51 in [-2^50, 2^50), shifted by 2^52 to convert exactly */
    const double f = (xv_u53_to_d(k + (UINT64_C(1) << 52) - (q << 51)) - 0x1p52) * 0x1p-51;
    double sn, cs;
    xv_sincos_qpi_d(f, &sn, &cs);
    XV_ROTATE_QUADRANT(q, sn, cs, c, s);
}

#endif
