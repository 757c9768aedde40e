"""xavier.dask: any chunking, any scheduler, a real process cluster: the in-memory values."""
import numpy as np
import pytest

import xavier
from xavier._request import block_runs

da = pytest.importorskip("dask.array")
xd = pytest.importorskip("xavier.dask")


def bits(a):
    a = np.asarray(a)
    return a.view(f"u{a.dtype.itemsize}")


CALLS = [
    ("glorot_uniform", ((300, 257),), {}),
    ("glorot_normal", ((20, 30, 40),), {"gain": 2.0, "truncated": True, "dtype": np.float64}),
    ("he_normal", ((16, 8, 3, 3),), {"layout": "torch", "dtype": np.float16}),
    ("he_uniform", ((64, 70),), {"mode": "fan_out"}),
    ("lecun_uniform", ((100, 3),), {}),
    ("lecun_normal", ((7, 11, 13),), {"truncated": True}),
    ("variance_scaling", ((5, 9, 6),), {"scale": 3.0, "distribution": "truncated_normal",
                                        "batch_axis": 0}),
    ("uniform", ((1001,), -2.0, 5.0), {}),
    ("normal", ((33, 65), 1.0, 3.0), {}),
    ("truncated_normal", ((40, 50),), {"std": 2.0, "a": -1.0, "b": 3.0}),
]
CHUNKS = ["auto", 7, (13, 5, 3, 2), (97, 1, 1, 1)]


def _chunks_for(shape, c):
    if c == "auto" or isinstance(c, int):
        return c
    return tuple(c[: len(shape)]) + (1,) * max(0, len(shape) - len(c))


@pytest.mark.parametrize("name,args,kwargs", CALLS)
@pytest.mark.parametrize("chunks", CHUNKS)
def test_any_chunking_gives_the_in_memory_values(name, args, kwargs, chunks):
    shape = args[0]
    ref = getattr(xavier, name)(*args, seed=42, **kwargs)
    arr = getattr(xd, name)(*args, seed=42, chunks=_chunks_for(shape, chunks), **kwargs)
    assert arr.shape == ref.shape and arr.dtype == ref.dtype
    got = arr.compute(scheduler="threads")
    assert np.array_equal(bits(got), bits(ref))


def test_bfloat16_and_threads_per_chunk():
    pytest.importorskip("ml_dtypes")
    ref = xavier.glorot_normal((200, 300), dtype="bfloat16", seed=1)
    for threads in (1, 2):
        arr = xd.glorot_normal((200, 300), dtype="bfloat16", seed=1, chunks=(64, 70),
                               threads=threads)
        assert arr.dtype == ref.dtype
        assert np.array_equal(bits(arr.compute()), bits(ref))


def test_slices_and_rechunking_of_a_generated_array():
    ref = xavier.he_normal((500, 400), seed=3)
    arr = xd.he_normal((500, 400), seed=3, chunks=(100, 100))
    assert np.array_equal(arr[37:301, 55:399:3].compute(), ref[37:301, 55:399:3])
    assert np.array_equal(arr.rechunk((33, 400)).compute(), ref)


def test_seed_none_is_fixed_when_the_array_is_made():
    arr = xd.glorot_uniform((50, 50), chunks=10)
    assert np.array_equal(arr.compute(), arr.compute())
    assert not np.array_equal(arr.compute(), xd.glorot_uniform((50, 50), chunks=10).compute())


def test_bad_arguments_raise_when_the_array_is_made():
    with pytest.raises(ValueError, match="gain"):
        xd.glorot_uniform((3, 3), gain=-1.0)
    with pytest.raises(TypeError, match="out"):
        xd.glorot_uniform((3, 3), out=np.empty((3, 3), np.float32))
    with pytest.raises(ValueError, match="threads"):
        xd.glorot_uniform((3, 3), threads=0)
    with pytest.raises(TypeError, match="seed"):
        xd.normal((3, 3), seed="x")


def test_huge_thread_counts_are_clamped_as_in_the_api():
    with pytest.warns(RuntimeWarning, match="threads"):
        arr = xd.glorot_uniform((300, 200), chunks=(100, 50), seed=4, threads=10**10)
    assert np.array_equal(arr.compute(), xavier.glorot_uniform((300, 200), seed=4))


def test_block_runs():
    assert block_runs((4, 5, 6), (0, 0, 0), (4, 5, 6)).tolist() == [0]
    assert block_runs((4, 5, 6), (1, 0, 0), (2, 5, 6)).tolist() == [30]
    assert block_runs((4, 5, 6), (1, 2, 3), (2, 2, 2)).tolist() == [45, 51, 75, 81]
    with pytest.raises(ValueError, match="outside"):
        block_runs((4, 5), (3, 0), (2, 5))


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.mark.parametrize("chunks", [(1000, 600), (128, 600), (250, 128), (97, 61)])
def test_process_cluster_gives_the_in_memory_values(cluster_client, chunks):
    ref = xavier.glorot_normal((1000, 600), seed=9, truncated=True)
    arr = xd.glorot_normal((1000, 600), seed=9, truncated=True, chunks=chunks)
    assert np.array_equal(cluster_client.compute(arr).result(), ref)
    assert np.array_equal(arr.compute(), ref)   # the client is the default scheduler here


def test_process_cluster_writes_npy_shards(cluster_client, tmp_path):
    ref = xavier.he_uniform((600, 300), seed=4, dtype=np.float16)
    arr = xd.he_uniform((600, 300), seed=4, dtype=np.float16, chunks=(128, 100))
    da.to_npy_stack(str(tmp_path / "stack"), arr, axis=0)
    back = da.from_npy_stack(str(tmp_path / "stack"))
    assert np.array_equal(bits(back.compute()), bits(ref))


def test_process_cluster_writes_zarr(cluster_client, tmp_path):
    zarr = pytest.importorskip("zarr")
    ref = xavier.lecun_normal((512, 384), seed=5)
    arr = xd.lecun_normal((512, 384), seed=5, chunks=(100, 128))
    da.to_zarr(arr, str(tmp_path / "w.zarr"))
    assert np.array_equal(zarr.open(str(tmp_path / "w.zarr"), mode="r")[...], ref)
