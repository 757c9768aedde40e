/*
 * Test hooks: the sampler core's math on given inputs, for tests/test_stream.py.
 * Compiled with the core's flags into the test-only extension _hooks
 * (tests/_hooks.pyx, built by tests/conftest.py); xavier itself ships none of it.
 */
#ifndef XAVIER_TEST_HOOKS_H
#define XAVIER_TEST_HOOKS_H

#include <stddef.h>
#include <stdint.h>

/* Scalar code: y = ln(x) for normal 0 < x <= 1; (s, c) = sin and cos of
 * (pi/2) (j + 1/2) / 2^22 (float32, j < 2^21); (c, s) = cos and sin of
 * 2*pi * k / 2^53 (float64); the standard normal CDF; float32 rounded to
 * float16 / bfloat16 bits. */
void xv_log_f32(const float *x, float *y, size_t n);
void xv_log_f64(const double *x, double *y, size_t n);
void xv_octant_f32(const uint32_t *j, float *s, float *c, size_t n);
void xv_turn_f64(const uint64_t *k, double *c, double *s, size_t n);
void xv_ndtr_f64(const double *x, double *y, size_t n);
void xv_round_f16(const float *x, uint16_t *y, size_t n);
void xv_round_bf16(const float *x, uint16_t *y, size_t n);

/* The premises of the AVX-512 bfloat16 normal kernel's bounded approximation
 * (kernels_bf16_avx512.h), measured over every input: out = {ln error,
 * sin/cos error, and the bounds the kernel assumes for them}; returns the
 * number of radius words whose ln is zero in one and not the other (or
 * differs in sign), or -1 where the build has no AVX-512 code.  The caller
 * checks that the CPU has AVX-512. */
long xv_fast_normal_bounds(double out[4], int threads);

#endif
