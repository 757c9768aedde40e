# cython: language_level=3, boundscheck=False, wraparound=False
"""Test hooks for xavier's compiled core: its math on given arrays (hooks.c).

A test-only extension: tests/conftest.py builds it with setup.py's compiler
flags and hands it to the tests as the ``hooks`` fixture.
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint16_t, uint32_t, uint64_t

from xavier import _core

cnp.import_array()

cdef extern from "hooks.h":
    void xv_log_f32(const float *x, float *y, size_t n) nogil
    void xv_log_f64(const double *x, double *y, size_t n) nogil
    void xv_octant_f32(const uint32_t *j, float *s, float *c, size_t n) nogil
    void xv_turn_f64(const uint64_t *k, double *c, double *s, size_t n) nogil
    void xv_ndtr_f64(const double *x, double *y, size_t n) nogil
    void xv_round_f16(const float *x, uint16_t *y, size_t n) nogil
    void xv_round_bf16(const float *x, uint16_t *y, size_t n) nogil
    long xv_fast_normal_bounds(double *out, int threads) nogil


def log(x):
    """The core's ln x (0 < x <= 1) on a float32 or float64 array."""
    cdef cnp.ndarray a = np.ascontiguousarray(x).ravel()
    cdef cnp.ndarray y = np.empty_like(a)
    if a.dtype == np.float32:
        xv_log_f32(<float *>cnp.PyArray_DATA(a), <float *>cnp.PyArray_DATA(y), a.shape[0])
    elif a.dtype == np.float64:
        xv_log_f64(<double *>cnp.PyArray_DATA(a), <double *>cnp.PyArray_DATA(y), a.shape[0])
    else:
        raise TypeError("x must be float32 or float64")
    return y


def sincos_octant(j):
    """The core's float32 sin and cos of (pi/2) (j + 1/2) / 2**22 for a uint32
    array of j < 2**21."""
    cdef cnp.ndarray a = np.ascontiguousarray(j, dtype=np.uint32).ravel()
    cdef cnp.ndarray sn = np.empty(a.shape[0], np.float32), cs = np.empty(a.shape[0], np.float32)
    xv_octant_f32(<uint32_t *>cnp.PyArray_DATA(a), <float *>cnp.PyArray_DATA(sn),
                  <float *>cnp.PyArray_DATA(cs), a.shape[0])
    return sn, cs


def cossin_turn(k):
    """The core's float64 cos and sin of 2*pi*k / 2**53 (uint64 k)."""
    cdef cnp.ndarray a = np.ascontiguousarray(k, dtype=np.uint64).ravel()
    cdef cnp.ndarray c = np.empty(a.shape[0], np.float64), s = np.empty(a.shape[0], np.float64)
    xv_turn_f64(<uint64_t *>cnp.PyArray_DATA(a), <double *>cnp.PyArray_DATA(c),
                <double *>cnp.PyArray_DATA(s), a.shape[0])
    return c, s


def ndtr(x):
    """The core's standard normal CDF (float64, scalar setup code)."""
    cdef cnp.ndarray a = np.ascontiguousarray(x, dtype=np.float64).ravel()
    cdef cnp.ndarray y = np.empty_like(a)
    xv_ndtr_f64(<double *>cnp.PyArray_DATA(a), <double *>cnp.PyArray_DATA(y), a.shape[0])
    return y


def round_half(x, bfloat16=False):
    """float32 values rounded to float16 (or bfloat16) bits, uint16."""
    cdef cnp.ndarray a = np.ascontiguousarray(x, dtype=np.float32).ravel()
    cdef cnp.ndarray y = np.empty(a.shape[0], dtype=np.uint16)
    if bfloat16:
        xv_round_bf16(<float *>cnp.PyArray_DATA(a), <uint16_t *>cnp.PyArray_DATA(y), a.shape[0])
    else:
        xv_round_f16(<float *>cnp.PyArray_DATA(a), <uint16_t *>cnp.PyArray_DATA(y), a.shape[0])
    return y


def fast_normal_bounds(int threads=0):
    """The premises of the AVX-512 bfloat16 normal kernel, measured over every
    input (about 2**32 ln evaluations), as a dict: ``ln_err`` and
    ``trig_err`` (largest relative differences from the stream's ln and
    sin/cos), ``ln_bound`` and ``trig_bound`` (what the kernel assumes) and
    ``zeros`` (words where one ln is zero and the other is not); None where
    the CPU or the build has no AVX-512 (the core runs no avx512 path)."""
    cdef double out[4]
    cdef long zeros
    if "avx512" not in _core.simd_paths():
        return None
    if threads <= 0:
        threads = _core.max_threads()
    with nogil:
        zeros = xv_fast_normal_bounds(out, threads)
    if zeros < 0:
        return None
    return {"ln_err": out[0], "trig_err": out[1], "ln_bound": out[2], "trig_bound": out[3],
            "zeros": int(zeros)}
