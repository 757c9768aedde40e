"""The samplers, dtypes and block size the API tests run over (tests/test_samplers.py,
tests/test_fans.py, tests/test_seeds.py, tests/test_threads.py)."""
import numpy as np

import xavier

DTYPES = [np.float32, np.float64]

BLOCK = 65536  # elements per block of the core stream

# the generic samplers and the Glorot presets in both layouts, with parameters of their own
SAMPLERS = {
    "uniform": lambda shape, **kw: xavier.uniform(shape, -2.0, 3.0, **kw),
    "normal": lambda shape, **kw: xavier.normal(shape, 1.0, 2.0, **kw),
    "glorot_uniform": lambda shape, **kw: xavier.glorot_uniform(shape, 1.5, **kw),
    "glorot_normal": lambda shape, **kw: xavier.glorot_normal(shape, 0.7, **kw),
    "glorot_uniform_torch": lambda shape, **kw: xavier.glorot_uniform(shape, layout="torch",
                                                                      **kw),
    "glorot_normal_torch": lambda shape, **kw: xavier.glorot_normal(shape, layout="torch",
                                                                    **kw),
}
SAMPLER_IDS = list(SAMPLERS)
