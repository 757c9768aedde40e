"""Pure-Python/NumPy reference of the RNG and of stream version 2, written
from the published algorithms and the stream specification (docs/stream.md), independent
of the C code it checks."""
import numpy as np

M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
LANES = 8
BLOCK = 1 << 16


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


def xoshiro256pp(s, n):
    """n outputs of xoshiro256++ from state s (a list of 4 ints, updated in place)."""
    out = []
    for _ in range(n):
        out.append((rotl((s[0] + s[3]) & M64, 23) + s[0]) & M64)
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def splitmix64(x, n):
    out = []
    for _ in range(n):
        x = (x + GAMMA) & M64
        out.append(mix64(x))
    return out


def lane_state(key, block, lane):
    key = [int(k) for k in key]
    x = key[0] ^ mix64((key[1] + block * LANES + lane) & M64)
    words = splitmix64(x, 4)
    return [w ^ key[2 + (i & 1)] for i, w in enumerate(words)]


def raw_block(key, block, n):
    """Raw outputs 0..n-1 of a block: output i from lane i % 8, step i // 8."""
    states = [lane_state(key, block, j) for j in range(LANES)]
    steps = -(-n // LANES)
    per_lane = [xoshiro256pp(states[j], steps) for j in range(LANES)]
    return np.array([per_lane[i % LANES][i // LANES] for i in range(n)], dtype=np.uint64)


# ---- values of one block from its raw outputs (docs/stream.md)

def uniform_f32(raw, low, high):
    w = raw.astype("<u8").view("<u4")            # word 2j: low half of output j
    u = (w >> 8).astype(np.float32) * np.float32(2.0**-24)
    lo, hi = np.float32(low), np.float32(high)
    v = lo + (hi - lo) * u
    cap = np.nextafter(hi, np.float32(-np.inf)) if hi > lo else lo
    return np.minimum(v, cap)


def uniform_f64(raw, low, high):
    u = (raw >> np.uint64(11)).astype(np.float64) * 2.0**-53
    v = low + (high - low) * u
    cap = np.nextafter(high, -np.inf) if high > low else low
    return np.minimum(v, cap)


def normal_f32_values(raw):
    """Float64 reference values of the float32 normal (stream version 2): per
    group of 32, value i and 16 + i from word i of step A (radius uniform u1)
    and of step B (angle word w): theta0 = (pi/2) (j + 1/2) / 2**22 with
    j = bits 8..28 of w; bit 29 swaps (cos, sin); bits 31 and 30 are the
    signs.  Returns (values, u1)."""
    w = raw.astype("<u8").view("<u4").reshape(-1, 2, 16)   # group, step, word
    wr, wa = w[:, 0, :], w[:, 1, :]
    u1 = (wr >> 8).astype(np.float32) * np.float32(2.0**-24) + \
        ((wr & 0xFF) + 1).astype(np.float32) * np.float32(2.0**-32)
    r = np.sqrt(-2.0 * np.log(u1.astype(np.float64)))
    theta = np.pi / 2 * (((wa >> 8) & 0x1FFFFF).astype(np.float64) + 0.5) / 2.0**22
    c, s = np.cos(theta), np.sin(theta)
    swap = ((wa >> 29) & 1).astype(bool)
    x = np.where(swap, s, c) * np.where(wa >> 31, -1.0, 1.0)
    y = np.where(swap, c, s) * np.where((wa >> 30) & 1, -1.0, 1.0)
    return np.concatenate([r * x, r * y], axis=1).ravel(), u1.ravel()


def normal_f64_uniforms(raw):
    x = raw.reshape(-1, 2, 8)
    xr, xa = x[:, 0, :].ravel(), x[:, 1, :].ravel()
    u1 = ((xr >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0**-53
    u2 = (xa >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return u1, u2


def box_muller(u1, u2, half):
    """Float64 reference values ordered as the stream: per group of 2*half,
    `half` cosines then `half` sines."""
    r = np.sqrt(-2.0 * np.log(u1.astype(np.float64)))
    theta = 2.0 * np.pi * u2
    c = (r * np.cos(theta)).reshape(-1, half)
    s = (r * np.sin(theta)).reshape(-1, half)
    return np.concatenate([c, s], axis=1).ravel()


# ---- truncated normal (docs/stream.md) -------------------------

def truncnorm_k(raw, bits):
    """The integers k of a block's truncated normal values: float32 takes
    k = w >> 8 of each 32-bit word (bits 24), float64 k = R >> 11 (bits 53)."""
    if bits == 24:
        return raw.astype("<u8").view("<u4") >> 8
    return raw >> np.uint64(11)


def truncnorm_values(k, bits, mean, std, a, b):
    """Reference values in float64 (scipy's ndtr and ndtri): the normal quantile
    of p = Phi(alpha) + u (Phi(beta) - Phi(alpha)), u = (k + 1/2) / 2**bits,
    taken from the tail that p lies in so that tail probabilities keep their
    relative accuracy, then mean + std * z, clamped to [a, b]."""
    from scipy import special

    alpha, beta = (a - mean) / std, (b - mean) / std
    pa, qb = special.ndtr(alpha), special.ndtr(-beta)
    if beta <= 0:
        w = special.ndtr(beta) - pa
    elif alpha >= 0:
        w = special.ndtr(-alpha) - qb
    else:
        w = 1.0 - pa - qb
    kf = k.astype(np.float64)              # exact: k < 2**53
    u_lo = (kf + 0.5) / 2.0**bits          # (k + 1/2) / 2**bits, and its complement
    u_hi = ((2.0**bits - 1 - kf) + 0.5) / 2.0**bits
    t_lo, t_hi = pa + u_lo * w, qb + u_hi * w
    z = np.where(t_lo < t_hi, special.ndtri(t_lo), -special.ndtri(t_hi))
    return np.clip(mean + std * z, a, b)
