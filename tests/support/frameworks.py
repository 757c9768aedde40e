"""The Keras, JAX and PyTorch initializer formulas, written out from each
framework's documented source (not taken from the code under test), and the
shapes and JAX fan axes the tests check them on (tests/test_presets.py,
tests/test_fans.py)."""
import math

# Keras-layout weight shapes: Dense, Conv1D, Conv2D, Conv3D, a non-square Conv2D, a thin Dense
SHAPES = [(784, 256), (5, 16, 32), (3, 3, 64, 128), (3, 3, 3, 16, 32), (7, 5, 3, 8), (2, 300)]
TRUNC_STD = 0.87962566103423978


def keras_fans(shape):
    """keras.src.initializers.random_initializers.compute_fans"""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    rf = 1
    for d in shape[:-2]:
        rf *= d
    return shape[-2] * rf, shape[-1] * rf


def jax_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """jax._src.nn.initializers._compute_fans"""
    def size(axis):
        return shape[axis] if isinstance(axis, int) else math.prod(shape[i] for i in axis)
    rf = math.prod(shape) / size(in_axis) / size(out_axis) / size(batch_axis)
    return size(in_axis) * rf, size(out_axis) * rf


def torch_fans(shape):
    """torch.nn.init._calculate_fan_in_and_fan_out"""
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def keras_variance_scaling(shape, scale, mode, distribution):
    """(kind, parameter): Keras's VarianceScaling.__call__."""
    fan_in, fan_out = keras_fans(shape)
    if mode == "fan_in":
        scale /= max(1.0, fan_in)
    elif mode == "fan_out":
        scale /= max(1.0, fan_out)
    else:
        scale /= max(1.0, (fan_in + fan_out) / 2.0)
    if distribution == "truncated_normal":
        return "truncated", math.sqrt(scale) / TRUNC_STD
    if distribution == "untruncated_normal":
        return "normal", math.sqrt(scale)
    return "uniform", math.sqrt(3.0 * scale)


def jax_variance_scaling(shape, scale, mode, distribution, **axes):
    fan_in, fan_out = jax_fans(shape, **axes)
    denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    variance = scale / denominator
    if distribution == "truncated_normal":
        return "truncated", math.sqrt(variance) / TRUNC_STD
    if distribution == "normal":
        return "normal", math.sqrt(variance)
    return "uniform", math.sqrt(3 * variance)


def torch_xavier(shape, gain, uniform):
    fan_in, fan_out = torch_fans(shape)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return ("uniform", math.sqrt(3.0) * std) if uniform else ("normal", std)


def torch_kaiming(shape, mode, uniform):
    """kaiming_*_ with nonlinearity='relu': gain sqrt(2)."""
    fan_in, fan_out = torch_fans(shape)
    std = math.sqrt(2.0) / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    return ("uniform", math.sqrt(3.0) * std) if uniform else ("normal", std)


def glorot_limit(gain, fan_in, fan_out):
    """Glorot & Bengio (2010)'s uniform limit: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    return gain * math.sqrt(6 / (fan_in + fan_out))


def glorot_std(gain, fan_in, fan_out):
    """Glorot & Bengio (2010)'s normal: std = gain * sqrt(2 / (fan_in + fan_out))."""
    return gain * math.sqrt(2 / (fan_in + fan_out))


# (shape, JAX's fan axes): in_axis, out_axis and batch_axis as ints and tuples
JAX_AXES = [
    ((784, 256), {}),
    ((3, 3, 64, 128), {}),
    ((64, 128, 3, 3), {"in_axis": 0, "out_axis": 1}),
    ((8, 3, 3, 16, 32), {"batch_axis": (0,)}),
    ((8, 3, 3, 16, 32), {"batch_axis": 0}),
    ((2, 3, 4, 5), {"in_axis": (0, 1), "out_axis": -1}),
    ((4, 6, 5, 7, 2), {"in_axis": -3, "out_axis": (-2, -1), "batch_axis": (0,)}),
    ((10, 20), {"in_axis": 1, "out_axis": 0}),
]
