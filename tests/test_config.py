"""xavier.config() and xavier.show_config(): the build and runtime facts they report."""
import numpy as np

import xavier


def test_config_keys_and_values():
    c = xavier.config()
    expected = {"version", "stream_version", "openmp", "default_threads", "simd_path",
                "simd_paths", "numpy"}
    assert expected <= set(c)
    assert c["version"] == xavier.__version__
    assert isinstance(c["openmp"], bool)
    assert isinstance(c["default_threads"], int) and c["default_threads"] >= 1
    if not c["openmp"]:
        assert c["default_threads"] == 1
    assert isinstance(c["simd_path"], str) and c["simd_path"]
    assert c["simd_path"] in c["simd_paths"]
    assert c["numpy"] == np.__version__
    assert isinstance(c["stream_version"], int)


def test_show_config(capsys):
    assert xavier.show_config() is None
    text = capsys.readouterr().out
    c = xavier.config()
    lines = text.splitlines()
    assert any(xavier.__version__ in line for line in lines)
    assert any("OpenMP" in line for line in lines)
    threads_lines = [line for line in lines if "thread" in line.lower()]
    assert threads_lines and any(str(c["default_threads"]) in line for line in threads_lines)
    simd_lines = [line for line in lines if "SIMD" in line]
    assert simd_lines and any(c["simd_path"] in line for line in simd_lines)
