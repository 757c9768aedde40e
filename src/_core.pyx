# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled core of xavier: the Xoshiro256 bit generator and stream fills.

Private module: use the functions of the ``xavier`` package.  The stream is
specified in docs/stream.md (the stream specification); the C code is in src/.
"""
import numpy as np
cimport numpy as cnp
from cpython.exc cimport PyErr_CheckSignals
from cpython.pycapsule cimport PyCapsule_New
from libc.stdint cimport uint32_t, uint64_t, int64_t
from numpy.random cimport bitgen_t
from numpy.random.bit_generator cimport BitGenerator

cnp.import_array()

cdef extern from "xoshiro.h":
    uint64_t xv_xoshiro_next(uint64_t *s) nogil
    void xv_xoshiro_jump(uint64_t *s) nogil

cdef extern from "stream.h":
    int XV_STREAM_VERSION
    int XV_LANES
    uint64_t XV_BLOCK
    int XV_NKINDS
    enum xv_dist:
        XV_UNIFORM, XV_NORMAL, XV_TRUNCNORM
    enum xv_type:
        XV_F32, XV_F64, XV_F16, XV_BF16
    int XV_KIND(int dist, int type)
    int XV_KIND_TYPE(int kind)
    int xv_fill(const uint64_t *key, int kind, const double *params, uint64_t start,
                uint64_t n, void *dst, int threads, int isa) nogil
    uint64_t XV_PART_BLOCKS
    ctypedef int (*xv_stop_fn)(void *ctx) noexcept nogil
    int xv_fill_until(const uint64_t *key, int kind, const double *params, uint64_t start,
                      uint64_t n, void *dst, int threads, int isa, xv_stop_fn stop,
                      void *ctx) nogil
    int xv_fill_runs(const uint64_t *key, int kind, const double *params, const uint64_t *starts,
                     uint64_t nruns, uint64_t len, void *dst, int threads, int isa) nogil
    double xv_truncnorm_mass(double mean, double sd, double a, double b) nogil
    void xv_raw_block(const uint64_t *key, uint64_t block, uint64_t n, uint64_t *dst) nogil
    void xv_lane_state(const uint64_t *key, uint64_t block, int lane, uint64_t *s) nogil
    int xv_isa_count()
    const char *xv_isa_name(int isa)
    int xv_isa_supported(int isa)
    int xv_isa_best()
    int xv_openmp()
    int xv_max_threads()
    int xv_pool_threads()

STREAM_VERSION = XV_STREAM_VERSION
LANES = XV_LANES
BLOCK = XV_BLOCK
PART_BLOCKS = XV_PART_BLOCKS
# distributions, output types and their kinds, from src/stream.h
UNIFORM, NORMAL, TRUNCNORM = XV_UNIFORM, XV_NORMAL, XV_TRUNCNORM
F32, F64, F16, BF16 = XV_F32, XV_F64, XV_F16, XV_BF16


def kind(int dist, int type):
    """The stream kind of distribution `dist` and output type `type` (XV_KIND)."""
    return XV_KIND(dist, type)


UNIFORM_F32, UNIFORM_F64, UNIFORM_F16, UNIFORM_BF16 = [kind(UNIFORM, t) for t in (F32, F64, F16, BF16)]
NORMAL_F32, NORMAL_F64, NORMAL_F16, NORMAL_BF16 = [kind(NORMAL, t) for t in (F32, F64, F16, BF16)]
TRUNCNORM_F32, TRUNCNORM_F64, TRUNCNORM_F16, TRUNCNORM_BF16 = [
    kind(TRUNCNORM, t) for t in (F32, F64, F16, BF16)]


cdef bint _type_ok(cnp.ndarray out, int typ):
    """Whether array `out` can hold output type `typ` in native byte order
    (bfloat16: ml_dtypes.bfloat16, or raw 16-bit integers holding its bits)."""
    cdef int t = cnp.PyArray_TYPE(out)
    if typ == XV_F32:
        return t == cnp.NPY_FLOAT32 and cnp.PyArray_ISNOTSWAPPED(out)
    if typ == XV_F64:
        return t == cnp.NPY_FLOAT64 and cnp.PyArray_ISNOTSWAPPED(out)
    if typ == XV_F16:
        return t == cnp.NPY_FLOAT16 and cnp.PyArray_ISNOTSWAPPED(out)
    dt = out.dtype
    return dt.itemsize == 2 and (dt.name == "bfloat16" or dt.kind in "ui")


def simd_paths():
    """Names of the SIMD paths compiled in and supported by this CPU."""
    return [xv_isa_name(i).decode() for i in range(xv_isa_count()) if xv_isa_supported(i)]


def simd_path():
    """Name of the SIMD path used by default on this CPU."""
    return xv_isa_name(xv_isa_best()).decode()


def openmp_enabled():
    """True if the extension was built with OpenMP."""
    return bool(xv_openmp())


def max_threads():
    """Threads a fill uses by default: omp_get_max_threads() (OMP_NUM_THREADS,
    threadpoolctl limits; 1 without OpenMP)."""
    return xv_max_threads()


def pool_threads():
    """Threads xavier's pool holds now (it grows to the largest team asked for)."""
    return xv_pool_threads()


cdef int _isa_index(object isa) except -2:
    if isa is None:
        return -1
    for i in range(xv_isa_count()):
        if xv_isa_name(i).decode() == isa:
            if not xv_isa_supported(i):
                raise ValueError(f"SIMD path {isa!r} is not supported by this CPU")
            return i
    raise ValueError(f"unknown SIMD path {isa!r}")


def fill(cnp.ndarray out not None, cnp.ndarray key not None, int kind, params,
         uint64_t start=0, int threads=1, isa=None):
    """Write elements [start, start + out.size) of a stream into ``out``.

    ``kind`` is ``4 * distribution + output type``; ``params`` holds the
    distribution's parameters: uniform (low, high), normal (mean, std),
    truncated normal (mean, std, a, b).  ``out`` must be a writable,
    aligned, C-contiguous array of the kind's type (float32, float64,
    float16, or bfloat16 / 16-bit integers for bfloat16 bits); ``key`` is 4
    uint64 words.  The caller validates the parameters; the GIL is released
    during the fill.

    Python's signal handlers run after every ``PART_BLOCKS`` blocks that the
    calling thread fills (the pool's threads share the blocks): Ctrl-C raises
    KeyboardInterrupt within that time, leaving ``out`` written from its
    start up to some block boundary and not beyond (the values there are
    final).
    """
    cdef cnp.ndarray k = _check_fill_args(out, key, kind, threads)
    cdef double prm[4]
    _params(params, prm)
    cdef int isa_i = _isa_index(isa)
    cdef uint64_t n = <uint64_t>out.size
    cdef void *dst = cnp.PyArray_DATA(out)
    cdef const uint64_t *kp = <const uint64_t *>cnp.PyArray_DATA(k)
    cdef int rc
    caught = []
    with nogil:
        rc = xv_fill_until(kp, kind, prm, start, n, dst, threads, isa_i, _signalled,
                           <void *>caught)
    if rc == -3:
        raise caught[0]
    if rc != 0:
        raise RuntimeError("xv_fill failed")
    return out


def fill_address(size_t address, uint64_t n, cnp.ndarray key not None, int kind, params,
                 int threads=1):
    """Write elements [0, n) of a stream into the memory at ``address``.

    For callers that own that memory and know its layout (xavier.torch on a
    contiguous CPU tensor: its ``data_ptr()``), where making an ndarray view
    would cost more than filling a small tensor.  The memory must hold `n`
    items of the kind's type, aligned to the item size (any address if `n`
    is 0); `key` must be a C-contiguous array of 4 uint64 words.  Otherwise as :func:`fill`,
    Ctrl-C included.
    """
    if not 0 <= kind < XV_NKINDS:
        raise ValueError(f"unknown kind {kind}")
    if threads < 1:
        raise ValueError("threads must be >= 1")
    if (cnp.PyArray_TYPE(key) != cnp.NPY_UINT64 or key.ndim != 1 or key.shape[0] != 4
            or not cnp.PyArray_IS_C_CONTIGUOUS(key)):
        raise ValueError("key must be a C-contiguous array of 4 uint64 words")
    cdef double prm[4]
    _params(params, prm)
    if n == 0:
        return
    if address == 0 or address % _item_size(XV_KIND_TYPE(kind)) != 0:
        raise ValueError("address must be non-null and aligned to the item size")
    cdef const uint64_t *kp = <const uint64_t *>cnp.PyArray_DATA(key)
    cdef int rc
    caught = []
    with nogil:
        rc = xv_fill_until(kp, kind, prm, 0, n, <void *>address, threads, -1, _signalled,
                           <void *>caught)
    if rc == -3:
        raise caught[0]
    if rc != 0:
        raise RuntimeError("xv_fill failed")


cdef inline size_t _item_size(int typ) noexcept:
    return 8 if typ == XV_F64 else 4 if typ == XV_F32 else 2


cdef int _signalled(void *caught) noexcept nogil:
    """Between the parts of a fill: run Python's signal handlers (Ctrl-C
    raises KeyboardInterrupt there); 1 stops the fill, keeping the error."""
    with gil:
        try:
            PyErr_CheckSignals()
        except BaseException as e:
            (<list>caught).append(e)
            return 1
    return 0


cdef cnp.ndarray _check_fill_args(cnp.ndarray out, key, int kind, int threads):
    cdef cnp.ndarray k
    if type(key) is np.ndarray and cnp.PyArray_TYPE(key) == cnp.NPY_UINT64 \
            and cnp.PyArray_IS_C_CONTIGUOUS(key):
        k = key
    else:
        k = np.ascontiguousarray(key, dtype=np.uint64)
    if k.ndim != 1 or k.shape[0] != 4:
        raise ValueError("key must hold 4 uint64 words")
    if not 0 <= kind < XV_NKINDS:
        raise ValueError(f"unknown kind {kind}")
    if not _type_ok(out, XV_KIND_TYPE(kind)):
        raise TypeError(f"out has dtype {out.dtype}, which cannot hold kind {kind}")
    if not (cnp.PyArray_IS_C_CONTIGUOUS(out) and cnp.PyArray_ISWRITEABLE(out)
            and cnp.PyArray_ISALIGNED(out)):
        raise ValueError("out must be writable, aligned and C-contiguous")
    if threads < 1:
        raise ValueError("threads must be >= 1")
    return k


cdef _params(params, double *prm):
    cdef tuple values = params if type(params) is tuple else tuple(params)
    cdef Py_ssize_t n = len(values), i
    if not 2 <= n <= 4:
        raise ValueError("params must hold 2 to 4 numbers")
    for i in range(4):
        prm[i] = float(values[i]) if i < n else 0.0


def fill_runs(cnp.ndarray out not None, key, int kind, params, starts, int threads=1,
              isa=None):
    """Write runs of a stream back to back into ``out``: elements
    ``[starts[r], starts[r] + L)`` for each r, with ``L = out.size //
    len(starts)`` (the rows of a sub-block of a larger C-order array).

    ``starts`` must increase, with no two runs overlapping, and
    ``out.size`` must be a multiple of ``len(starts)``.  Other arguments are
    as for :func:`fill`; the values equal those :func:`fill` gives for the
    same elements.
    """
    cdef cnp.ndarray k = _check_fill_args(out, key, kind, threads)
    cdef cnp.ndarray[uint64_t, ndim=1, mode="c"] st = np.ascontiguousarray(starts, dtype=np.uint64)
    cdef uint64_t nruns = <uint64_t>st.shape[0]
    if nruns == 0:
        if out.size:
            raise ValueError("out must be empty when there are no runs")
        return out
    if out.size % nruns:
        raise ValueError(f"out.size {out.size} is not a multiple of the {nruns} runs")
    cdef uint64_t length = <uint64_t>out.size // nruns
    cdef double prm[4]
    _params(params, prm)
    cdef int isa_i = _isa_index(isa)
    cdef void *dst = cnp.PyArray_DATA(out)
    cdef const uint64_t *kp = <const uint64_t *>cnp.PyArray_DATA(k)
    cdef const uint64_t *sp = &st[0]
    cdef int rc
    with nogil:
        rc = xv_fill_runs(kp, kind, prm, sp, nruns, length, dst, threads, isa_i)
    if rc == -2:
        raise ValueError("runs must increase and not overlap")
    if rc != 0:
        raise RuntimeError("xv_fill_runs failed")
    return out


def truncnorm_mass(double mean, double sd, double a, double b):
    """The normal(mean, sd) mass of [a, b], as the truncated normal kinds compute it."""
    return xv_truncnorm_mass(mean, sd, a, b)


def raw_block(key, uint64_t block, Py_ssize_t n):
    """Raw outputs 0..n-1 of block ``block`` in stream order (scalar reference)."""
    cdef cnp.ndarray[uint64_t, ndim=1, mode="c"] k = np.ascontiguousarray(key, dtype=np.uint64)
    cdef cnp.ndarray[uint64_t, ndim=1, mode="c"] res = np.empty(n, dtype=np.uint64)
    if n:
        xv_raw_block(&k[0], block, <uint64_t>n, &res[0])
    return res


def lane_state(key, uint64_t block, int lane):
    """The four state words of lane ``lane`` (0..7) of block ``block``."""
    if not 0 <= lane < XV_LANES:
        raise ValueError("lane out of range")
    cdef cnp.ndarray[uint64_t, ndim=1, mode="c"] k = np.ascontiguousarray(key, dtype=np.uint64)
    cdef cnp.ndarray[uint64_t, ndim=1, mode="c"] s = np.empty(4, dtype=np.uint64)
    xv_lane_state(&k[0], block, lane, &s[0])
    return s


# ---- Xoshiro256: a numpy.random.BitGenerator --------------------------------

cdef uint64_t _x_next64(void *st) noexcept nogil:
    return xv_xoshiro_next(<uint64_t *>st)


cdef uint32_t _x_next32(void *st) noexcept nogil:
    return <uint32_t>(xv_xoshiro_next(<uint64_t *>st) >> 32)


cdef double _x_next_double(void *st) noexcept nogil:
    return <double>(xv_xoshiro_next(<uint64_t *>st) >> 11) * (1.0 / 9007199254740992.0)


cdef class Xoshiro256(BitGenerator):
    """Xoshiro256(seed=None)

    xoshiro256++ (Blackman & Vigna) as a ``numpy.random.BitGenerator``.

    Parameters
    ----------
    seed : None, int, array_like[ints] or SeedSequence, optional
        Hashed by ``numpy.random.SeedSequence`` into the four 64-bit state
        words, as NumPy's own bit generators do.

    Notes
    -----
    One 64-bit output per call: ``random_raw`` returns the raw outputs,
    32-bit draws take the upper half of an output, doubles its upper 53 bits
    times 2**-53.  ``jumped`` advances a copy by 2**128 steps with the
    published jump polynomial, for 2**128 non-overlapping streams.

    This is the serial generator; xavier's parallel samplers use their own
    block/lane streams of the same algorithm (docs/stream.md).

    Examples
    --------
    >>> import numpy as np, xavier
    >>> g = np.random.Generator(xavier.Xoshiro256(7))
    >>> g.standard_normal(3).shape
    (3,)
    >>> bg = xavier.Xoshiro256()
    >>> bg.state = {"bit_generator": "Xoshiro256", "state": {"s": [1, 2, 3, 4]}}
    >>> bg.random_raw(3)
    array([        41943041,         58720359, 3588806011781223], dtype=uint64)
    """
    cdef uint64_t s[4]

    def __init__(self, seed=None):
        BitGenerator.__init__(self, seed)
        self._bitgen.state = <void *>&self.s[0]
        self._bitgen.next_uint64 = &_x_next64
        self._bitgen.next_uint32 = &_x_next32
        self._bitgen.next_double = &_x_next_double
        self._bitgen.next_raw = &_x_next64
        words = self._seed_seq.generate_state(4, np.uint64)
        if not words.any():   # the all-zero state is invalid; SeedSequence never gives it
            words[0] = 1
        self._set_words(words)

    cdef _set_words(self, words):
        for i in range(4):
            self.s[i] = <uint64_t>int(words[i])

    @property
    def state(self):
        """The state as a dict: ``{"bit_generator": "Xoshiro256", "state": {"s": uint64[4]}}``."""
        return {"bit_generator": type(self).__name__,
                "state": {"s": np.array([self.s[0], self.s[1], self.s[2], self.s[3]],
                                        dtype=np.uint64)}}

    @state.setter
    def state(self, value):
        if not isinstance(value, dict):
            raise TypeError("state must be a dict")
        if value.get("bit_generator") != type(self).__name__:
            raise ValueError(f"state must be for a {type(self).__name__} bit generator")
        try:
            raw = value["state"]["s"]
        except (KeyError, TypeError):
            raise ValueError('state must hold the four words at state["state"]["s"]') from None
        if isinstance(raw, np.ndarray) and raw.dtype.kind not in "ui":
            raise TypeError("state words must be integers")
        words = [int(w) for w in np.asarray(raw, dtype=object).ravel()]
        if len(words) != 4 or any(not 0 <= w < 2**64 for w in words):
            raise ValueError("state must be four integers in [0, 2**64)")
        if not any(words):
            raise ValueError("the all-zero state is invalid for xoshiro256++")
        with self.lock:
            self._set_words(words)

    def jumped(self, jumps=1):
        """jumped(jumps=1)

        A new Xoshiro256 whose state is this one advanced by ``jumps * 2**128``
        steps; this generator is unchanged.
        """
        jumps = int(jumps)
        if jumps < 0:
            raise ValueError("jumps must be non-negative")
        bg = type(self)(self._seed_seq)
        cdef Xoshiro256 other = bg
        with self.lock:
            other.s[:] = self.s
        for _ in range(jumps):
            xv_xoshiro_jump(other.s)
        return bg


# ---- SeedSequence(int).generate_state(4, uint64), without the object ------------
#
# NumPy's SeedSequence (numpy/random/bit_generator.pyx) for an int entropy,
# no spawn key and pool size 4: the int's 32-bit words, little-endian, mixed
# into a pool of four words, which generate_state hashes into eight words.
# Tested against NumPy over many seeds; costs well under a microsecond where
# building the object costs several.

cdef uint32_t _INIT_A = 0x43b0d7e5, _MULT_A = 0x931e8875
cdef uint32_t _INIT_B = 0x8b51f9dd, _MULT_B = 0x58f38ded
cdef uint32_t _MIX_L = 0xca01f9dd, _MIX_R = 0x4973f715


cdef inline uint32_t _hashmix(uint32_t value, uint32_t *h) noexcept nogil:
    value ^= h[0]
    h[0] *= _MULT_A
    value *= h[0]
    return value ^ (value >> 16)


cdef inline uint32_t _mix(uint32_t x, uint32_t y) noexcept nogil:
    cdef uint32_t r = _MIX_L * x - _MIX_R * y
    return r ^ (r >> 16)


def int_seed_key(object seed):
    """``SeedSequence(seed).generate_state(4, np.uint64)`` for an int
    ``seed >= 0`` (the caller checks it)."""
    cdef bytes raw = seed.to_bytes(max(4, (seed.bit_length() + 31) // 32 * 4), "little")
    cdef const unsigned char *b = raw
    cdef Py_ssize_t nw = len(raw) // 4, i, j
    cdef uint32_t pool[4]
    cdef uint32_t h = _INIT_A, w
    cdef uint32_t out[8]
    for i in range(4):
        w = 0
        if i < nw:
            w = b[4 * i] | (<uint32_t>b[4 * i + 1] << 8) | (<uint32_t>b[4 * i + 2] << 16) \
                | (<uint32_t>b[4 * i + 3] << 24)
        pool[i] = _hashmix(w, &h)
    for i in range(4):
        for j in range(4):
            if i != j:
                pool[j] = _mix(pool[j], _hashmix(pool[i], &h))
    for i in range(4, nw):
        w = b[4 * i] | (<uint32_t>b[4 * i + 1] << 8) | (<uint32_t>b[4 * i + 2] << 16) \
            | (<uint32_t>b[4 * i + 3] << 24)
        for j in range(4):
            pool[j] = _mix(pool[j], _hashmix(w, &h))
    h = _INIT_B
    for i in range(8):
        w = pool[i % 4] ^ h
        h *= _MULT_B
        w *= h
        out[i] = w ^ (w >> 16)
    cdef cnp.ndarray[uint64_t, ndim=1, mode="c"] key = np.empty(4, dtype=np.uint64)
    for i in range(4):
        key[i] = out[2 * i] | (<uint64_t>out[2 * i + 1] << 32)
    return key
