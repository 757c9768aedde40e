"""Type stubs for the compiled core, xavier._core (src/_core.pyx)."""
from typing import Any, List, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt
from numpy.random import BitGenerator, SeedSequence

STREAM_VERSION: int
LANES: int
BLOCK: int
PART_BLOCKS: int
UNIFORM: int
NORMAL: int
TRUNCNORM: int
F32: int
F64: int
F16: int
BF16: int
UNIFORM_F32: int
UNIFORM_F64: int
UNIFORM_F16: int
UNIFORM_BF16: int
NORMAL_F32: int
NORMAL_F64: int
NORMAL_F16: int
NORMAL_BF16: int
TRUNCNORM_F32: int
TRUNCNORM_F64: int
TRUNCNORM_F16: int
TRUNCNORM_BF16: int

def kind(dist: int, type: int) -> int: ...
def simd_paths() -> List[str]: ...
def simd_path() -> str: ...
def openmp_enabled() -> bool: ...
def max_threads() -> int: ...
def pool_threads() -> int: ...
def int_seed_key(seed: int) -> np.ndarray: ...
def fill(
    out: np.ndarray,
    key: npt.NDArray[np.uint64],
    kind: int,
    params: Sequence[float],
    start: int = ...,
    threads: int = ...,
    isa: Optional[str] = ...,
) -> np.ndarray: ...
def fill_address(
    address: int,
    n: int,
    key: npt.NDArray[np.uint64],
    kind: int,
    params: Sequence[float],
    threads: int = ...,
) -> None: ...
def fill_runs(
    out: np.ndarray,
    key: npt.NDArray[np.uint64],
    kind: int,
    params: Sequence[float],
    starts: npt.ArrayLike,
    threads: int = ...,
    isa: Optional[str] = ...,
) -> np.ndarray: ...
def truncnorm_mass(mean: float, sd: float, a: float, b: float) -> float: ...
def raw_block(key: npt.ArrayLike, block: int, n: int) -> npt.NDArray[np.uint64]: ...
def lane_state(key: npt.ArrayLike, block: int, lane: int) -> npt.NDArray[np.uint64]: ...

class Xoshiro256(BitGenerator):
    def __init__(
        self, seed: Union[None, int, npt.ArrayLike, SeedSequence] = ...
    ) -> None: ...
    @property
    def state(self) -> Mapping[str, Any]: ...
    @state.setter
    def state(self, value: Mapping[str, Any]) -> None: ...
    def jumped(self, jumps: int = ...) -> "Xoshiro256": ...
