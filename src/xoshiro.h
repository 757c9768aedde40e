/*
 * xoshiro256++ (Blackman & Vigna, 2019) and SplitMix64: the only random
 * number generators in xavier.  Both follow the published reference code
 * exactly; tests/test_rng.py holds the known answers.
 */
#ifndef XAVIER_XOSHIRO_H
#define XAVIER_XOSHIRO_H

#include <stdint.h>

#define XV_GOLDEN_GAMMA 0x9E3779B97F4A7C15ULL

static inline uint64_t xv_rotl(const uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256++ output and state update, one step. */
static inline uint64_t xv_xoshiro_next(uint64_t s[4])
{
    const uint64_t result = xv_rotl(s[0] + s[3], 23) + s[0];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = xv_rotl(s[3], 45);
    return result;
}

/* Advance by 2^128 steps: the published jump polynomial. */
static inline void xv_xoshiro_jump(uint64_t s[4])
{
    static const uint64_t JUMP[4] = {0x180ec6d33cfd0abaULL, 0xd5a61266f0c9392cULL,
                                     0xa9582618e03fc9aaULL, 0x39abdc4529b1661cULL};
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i < 4; i++) {
        for (int b = 0; b < 64; b++) {
            if (JUMP[i] & (UINT64_C(1) << b)) {
                s0 ^= s[0];
                s1 ^= s[1];
                s2 ^= s[2];
                s3 ^= s[3];
            }
            xv_xoshiro_next(s);
        }
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

/* SplitMix64's output function (a bijection of 64-bit words). */
static inline uint64_t xv_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* SplitMix64: advance the state by the golden gamma, return its mix. */
static inline uint64_t xv_splitmix64_next(uint64_t *x)
{
    *x += XV_GOLDEN_GAMMA;
    return xv_mix64(*x);
}

#endif
