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
 *   xv_sincos_octant_f:  sin and cos of an angle in (0, pi/4), float32
 *       minimax polynomials (the float32 normal reflects it onto the circle).
 *   xv_sincos_qpi_d:  sin and cos of (pi/2) * f, |f| <= 1/2, by their
 *       Taylor series (|x| <= pi/4).
 *   xv_cossin_turn_d:  cos and sin of 2*pi * k / 2^53: the angle is reduced
 *       exactly in integers to a quadrant q = round(4k / 2^53) and a rest
 *       f = 4k / 2^53 - q, so no large-argument reduction is needed and
 *       zeros of sin/cos are exact.
 *   xv_ndtri_f / xv_ndtri_d:  the standard normal quantile from q = p - 1/2
 *       and t = min(p, 1 - p), each computed accurately by the caller:
 *       Wichura's algorithm AS 241 (Applied Statistics 37, 1988), PPND7 in
 *       float32 and PPND16 in float64, written branch-free (every lane
 *       computes the branch variables and selects), one division.
 *   xv_f16_bits / xv_bf16_bits:  float32 to float16 / bfloat16 bits, rounded
 *       to nearest even, subnormals included, in integer and plain IEEE
 *       operations (no F16C), so every path agrees.
 *   xv_ndtr:  the standard normal CDF, scalar, for setting up the truncated
 *       normal; plain double arithmetic with no libm call beyond exact
 *       ones, so it gives the same bits on every IEEE machine.
 *
 * Series lengths are set so the truncation error is below half an ulp.
 */
#ifndef XAVIER_VMATH_H
#define XAVIER_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define XV_INLINE static inline __attribute__((always_inline))

XV_INLINE uint32_t xv_f2u(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
XV_INLINE float xv_u2f(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
XV_INLINE uint64_t xv_d2u(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
XV_INLINE double xv_u2d(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* ---- float32 ---------------------------------------------------------- */

/* Box-Muller's radius uniform in (0, 1] from all 32 bits of w: (w + 1) 2^-32,
 * one rounding. */
XV_INLINE float xv_u1_f(uint32_t w)
{
    return (float)(int32_t)(w >> 8) * 0x1p-24f + (float)(int32_t)((w & 0xFFu) + 1u) * 0x1p-32f;
}

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

/* sin and cos of (pi/2) f for f = j * 2^-22 + 2^-23, 0 <= j < 2^21, so
 * 0 < (pi/2) f < pi/4: minimax polynomials in z = f^2 fitted for float32
 * (relative error <= 1.31e-7 for sin, 1.41e-7 for cos, on all 2^21 inputs). */
XV_INLINE void xv_sincos_octant_f(int32_t j, float *sn, float *cs)
{
    const float f = (float)j * 0x1p-22f + 0x1p-23f;   /* exact */
    const float z = f * f;
    float ps = -0x1.2d9370p-8f;
    ps = ps * z + 0x1.465e94p-4f;
    ps = ps * z - 0x1.4abbbap-1f;
    ps = ps * z + 0x1.921fb6p+0f;
    *sn = f * ps;
    float pc = -0x1.4e84e0p-6f;
    pc = pc * z + 0x1.03b092p-2f;
    pc = pc * z - 0x1.3bd39cp+0f;
    *cs = 1.0f + z * pc;
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

/* Into c and s: cos and sin of the angle whose sine and cosine are sn and
 * cs, turned by q quarter turns. */
XV_INLINE void xv_rotate_quadrant_d(uint64_t q, double sn, double cs, double *c, double *s)
{
    const uint64_t swap = q & 1;
    const double c0 = swap ? sn : cs;
    const double s0 = swap ? cs : sn;
    *c = ((q + 1) & 2) ? -c0 : c0;
    *s = (q & 2) ? -s0 : s0;
}

/* cos and sin of 2*pi * k / 2^53, 0 <= k < 2^53. */
XV_INLINE void xv_cossin_turn_d(uint64_t k, double *c, double *s)
{
    const uint64_t q = (k + (UINT64_C(1) << 50)) >> 51;
    /* k - q * 2^51 in [-2^50, 2^50), shifted by 2^52 to convert exactly */
    const double f = (xv_u53_to_d(k + (UINT64_C(1) << 52) - (q << 51)) - 0x1p52) * 0x1p-51;
    double sn, cs;
    xv_sincos_qpi_d(f, &sn, &cs);
    xv_rotate_quadrant_d(q, sn, cs, c, s);
}

/* ---- normal quantile (AS 241) --------------------------------------------- */

/* z with Phi(z) = p, from q = p - 1/2 and t = min(p, 1 - p) > 0 (a normal
 * float).  Central branch |q| <= 0.425: z = q A(r) / B(r), r = 0.180625 - q^2;
 * tails: r = sqrt(-ln t), z = sign(q) C(r - 1.6) / D(r - 1.6) for r <= 5,
 * else sign(q) E(r - 5) / F(r - 5).  PPND7: relative error about 1e-7. */
XV_INLINE float xv_ndtri_f(float q, float t)
{
    const float rc = 0.180625f - q * q;
    const float nc = q * (((5.9109374720e+01f * rc + 1.5929113202e+02f) * rc +
                           5.0434271938e+01f) * rc + 3.3871327179e+00f);
    const float dc = ((6.7187563600e+01f * rc + 7.8757757664e+01f) * rc +
                      1.7895169469e+01f) * rc + 1.0f;
    const float rt = __builtin_sqrtf(-xv_log_f(t));
    const int far = rt > 5.0f;
    const float x = rt - (far ? 5.0f : 1.6f);
    const float n3 = far ? 1.7337203997e-02f : 1.7023821103e-01f;
    const float n2 = far ? 4.2868294337e-01f : 1.3067284816e+00f;
    const float n1 = far ? 3.0812263860e+00f : 2.7568153900e+00f;
    const float n0 = far ? 6.6579051150e+00f : 1.4234372777e+00f;
    const float d2 = far ? 1.2258202635e-02f : 1.2021132975e-01f;
    const float d1 = far ? 2.4197894225e-01f : 7.3700164250e-01f;
    const float nt = ((n3 * x + n2) * x + n1) * x + n0;
    const float dt = (d2 * x + d1) * x + 1.0f;
    const int central = (q < 0.0f ? -q : q) <= 0.425f;
    const float num = central ? nc : (q < 0.0f ? -nt : nt);
    return num / (central ? dc : dt);
}

/* PPND16: relative error about 1e-16. */
XV_INLINE double xv_ndtri_d(double q, double t)
{
    const double rc = 0.180625 - q * q;
    const double nc = q * (((((((2.5090809287301226727e+3 * rc + 3.3430575583588128105e+4) * rc +
                                6.7265770927008700853e+4) * rc + 4.5921953931549871457e+4) * rc +
                              1.3731693765509461125e+4) * rc + 1.9715909503065514427e+3) * rc +
                            1.3314166789178437745e+2) * rc + 3.3871328727963666080e+0);
    const double dc = ((((((5.2264952788528545610e+3 * rc + 2.8729085735721942674e+4) * rc +
                           3.9307895800092710610e+4) * rc + 2.1213794301586595867e+4) * rc +
                         5.3941960214247511077e+3) * rc + 6.8718700749205790830e+2) * rc +
                       4.2313330701600911252e+1) * rc + 1.0;
    const double rt = __builtin_sqrt(-xv_log_d(t));
    const int far = rt > 5.0;
    const double x = rt - (far ? 5.0 : 1.6);
    const double n7 = far ? 2.01033439929228813265e-7 : 7.74545014278341407640e-4;
    const double n6 = far ? 2.71155556874348757815e-5 : 2.27238449892691845833e-2;
    const double n5 = far ? 1.24266094738807843860e-3 : 2.41780725177450611770e-1;
    const double n4 = far ? 2.65321895265761230930e-2 : 1.27045825245236838258e+0;
    const double n3 = far ? 2.96560571828504891230e-1 : 3.64784832476320460504e+0;
    const double n2 = far ? 1.78482653991729133580e+0 : 5.76949722146069140550e+0;
    const double n1 = far ? 5.46378491116411436990e+0 : 4.63033784615654529590e+0;
    const double n0 = far ? 6.65790464350110377720e+0 : 1.42343711074968357734e+0;
    const double d7 = far ? 2.04426310338993978564e-15 : 1.05075007164441684324e-9;
    const double d6 = far ? 1.42151175831644588870e-7 : 5.47593808499534494600e-4;
    const double d5 = far ? 1.84631831751005468180e-5 : 1.51986665636164571966e-2;
    const double d4 = far ? 7.86869131145613259100e-4 : 1.48103976427480074590e-1;
    const double d3 = far ? 1.48753612908506148525e-2 : 6.89767334985100004550e-1;
    const double d2 = far ? 1.36929880922735805310e-1 : 1.67638483018380384940e+0;
    const double d1 = far ? 5.99832206555887937690e-1 : 2.05319162663775882187e+0;
    const double nt = ((((((n7 * x + n6) * x + n5) * x + n4) * x + n3) * x + n2) * x + n1) * x + n0;
    const double dt = ((((((d7 * x + d6) * x + d5) * x + d4) * x + d3) * x + d2) * x + d1) * x + 1.0;
    const int central = (q < 0.0 ? -q : q) <= 0.425;
    const double num = central ? nc : (q < 0.0 ? -nt : nt);
    return num / (central ? dc : dt);
}

/* ---- half precision ---------------------------------------------------- */

/* float32 -> float16 bits, round to nearest even; overflow gives infinity
 * (callers keep values in range). */
XV_INLINE uint16_t xv_f16_bits(float f)
{
    const uint32_t x = xv_f2u(f);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t ax = x & 0x7FFFFFFFu;
    /* normal halves: rebias the exponent by -112, round at bit 13 */
    const uint32_t nrm = (ax - 0x38000000u + 0xFFFu + ((ax >> 13) & 1u)) >> 13;
    /* below 2^-14: adding 0.5 rounds |f| to a multiple of 2^-24 in place */
    const uint32_t sub = xv_f2u(xv_u2f(ax) + 0.5f) - 0x3F000000u;
    uint32_t h = ax < 0x38800000u ? sub : nrm;
    h = ax >= 0x47800000u ? 0x7C00u : h;
    return (uint16_t)(h | sign);
}

/* float32 -> bfloat16 bits (the upper half), round to nearest even. */
XV_INLINE uint16_t xv_bf16_bits(float f)
{
    const uint32_t x = xv_f2u(f);
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

/* ---- tables of the bounded ln for bfloat16 normals ----------------------- */

/* ln m for m in [0.75, 1.5) (AVX-512's getmant), by the five fraction bits
 * below m's leading one: entry i covers [c - 1/64, c + 1/64) around
 * c = 1 + (i + 1/2) / 32 for i < 16 and c = (1 + (i + 1/2) / 32) / 2 for
 * i >= 16, except entries 0 and 31 (m next to 1), where c = 1 exactly, so
 * ln u for u next to 1 is ln(1 + t) alone, with no cancellation.
 * XV_LN_RCP[i] = float(1 / c), XV_LN_LOG[i] = float(-ln XV_LN_RCP[i]); then
 * ln m = XV_LN_LOG[i] + ln(1 + t) with t = m * XV_LN_RCP[i] - 1, |t| <= 1/32.
 * No accuracy claim rests on these values: the test of the approximation
 * checks its result over every input (xv_fast_normal_bounds). */
static const float XV_LN_RCP[32] = {
    0x1p+0f, 0x1.e9131ap-1f, 0x1.dae608p-1f, 0x1.cd8568p-1f,
    0x1.c0e07p-1f, 0x1.b4e81cp-1f, 0x1.a98ef6p-1f, 0x1.9ec8eap-1f,
    0x1.948b1p-1f, 0x1.8acb9p-1f, 0x1.818182p-1f, 0x1.78a4c8p-1f,
    0x1.702e06p-1f, 0x1.681682p-1f, 0x1.605816p-1f, 0x1.58ed24p-1f,
    0x1.51d07ep+0f, 0x1.4afd6ap+0f, 0x1.446f86p+0f, 0x1.3e22ccp+0f,
    0x1.381382p+0f, 0x1.323e34p+0f, 0x1.2c9fb4p+0f, 0x1.27350cp+0f,
    0x1.21fb78p+0f, 0x1.1cf06ap+0f, 0x1.181182p+0f, 0x1.135c82p+0f,
    0x1.0ecf56p+0f, 0x1.0a681p+0f, 0x1.0624dep+0f, 0x1p+0f,
};
static const float XV_LN_LOG[32] = {
    0.0f, 0x1.77459cp-5f, 0x1.341d74p-4f, 0x1.a926d8p-4f,
    0x1.0d77e8p-3f, 0x1.44d2b4p-3f, 0x1.7ab89p-3f, 0x1.af3c92p-3f,
    0x1.e27076p-3f, 0x1.0a325p-2f, 0x1.22941ep-2f, 0x1.3a64c6p-2f,
    0x1.51aad8p-2f, 0x1.686c8p-2f, 0x1.7eaf84p-2f, 0x1.94793ep-2f,
    -0x1.1bf994p-2f, -0x1.071386p-2f, -0x1.e530eep-3f, -0x1.bd0874p-3f,
    -0x1.95a5b2p-3f, -0x1.6f0124p-3f, -0x1.4913d2p-3f, -0x1.23d716p-3f,
    -0x1.fe8912p-4f, -0x1.b6ac7cp-4f, -0x1.700d3ep-4f, -0x1.2aa058p-4f,
    -0x1.ccb726p-5f, -0x1.466adap-5f, -0x1.849286p-6f, 0.0f,
};

/* ---- the normal CDF, scalar -------------------------------------------- */

/* exp(x) for -700 < x <= 0: 2^k exp(r), |r| <= ln2 / 2, Taylor to r^14. */
static inline double xv_exp_neg(double x)
{
    const double k = floor(x * 1.44269504088896340736 + 0.5);
    const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    double inv_fact[15];
    inv_fact[0] = 1.0;
    for (int i = 1; i < 15; i++)
        inv_fact[i] = inv_fact[i - 1] / i;
    double p = inv_fact[14];
    for (int i = 13; i >= 0; i--)
        p = p * r + inv_fact[i];
    return ldexp(p, (int)k);
}

/* Phi(x): 0.5 + phi(x) * sum x^(2n+1) / (2n+1)!! for |x| < 1, else the
 * continued fraction phi(|x|) / (|x| + 1/(|x| + 2/(|x| + ...))), 400 terms
 * (converged to 1e-16 from |x| = 1 on); relative error below 1e-15. */
static inline double xv_ndtr(double x)
{
    if (x != x)
        return x;
    if (x < -37.0)
        return 0.0;
    if (x > 37.0)
        return 1.0;
    const double ax = x < 0 ? -x : x;
    /* exp(-x^2/2) with x = xh + xl, xh a multiple of 2^-16: xh^2 is exact,
     * so the large part of the exponent carries no rounding (as Cephes does) */
    const double xh = floor(ax * 65536.0) / 65536.0, xl = ax - xh;
    const double pdf = 0.398942280401432677940 * xv_exp_neg(-0.5 * (xh * xh)) *
                       xv_exp_neg(-0.5 * (xl * (2.0 * xh + xl)));
    if (ax < 1.0) {
        double term = x, sum = x;
        for (int n = 0; n < 200; n++) {
            term = term * (x * x) / (2 * n + 3);
            const double next = sum + term;
            if (next == sum)
                break;
            sum = next;
        }
        return 0.5 + pdf * sum;
    }
    double f = ax;
    for (int k = 400; k >= 1; k--)
        f = ax + k / f;
    const double tail = pdf / f;
    return x < 0 ? tail : 1.0 - tail;
}

#endif
