"""`xavier demo`: the direction of Glorot & Bengio (2010)'s result, not its numbers."""
import json
import subprocess
import sys

import numpy as np
import pytest

from xavier import _cli, _demo


@pytest.fixture(scope="module")
def default():
    """The demo as `xavier demo` runs it: 10 tanh layers of 1000 units."""
    return _demo.run_demo()


def test_glorot_keeps_gradient_and_activation_variances(default):
    g = default["glorot"]
    assert len(g["gradient_var"]) == len(g["activation_var"]) == 10
    assert 0.5 < g["gradient_ratio"] < 2.0  # top layer vs bottom layer
    assert 0.5 < g["activation_ratio"] < 2.0
    # and roughly constant in between, not only at the two ends
    for key in ("gradient_var", "activation_var"):
        v = np.array(g[key])
        assert v.max() / v.min() < 2.0


def test_standard_init_shrinks_them(default):
    s = default["standard"]
    assert s["gradient_ratio"] > 100  # lower layers' gradients markedly smaller
    assert s["activation_ratio"] < 0.01  # higher layers' activations markedly smaller
    grads = np.array(s["gradient_var"])
    acts = np.array(s["activation_var"])
    assert (np.diff(grads) > 0).all()  # smaller at every step towards the input
    assert (np.diff(acts) < 0).all()  # smaller at every step away from it


def test_weight_gradients_are_layer_independent_for_both(default):
    """The paper's other observation: Var[dC/dW] is about the same at every layer."""
    for scheme in _demo.SCHEMES:
        w = np.array(default[scheme]["weight_gradient_var"])
        assert w.max() / w.min() < 2.0


def test_saturated_inputs_glorot_still_far_ahead():
    """Unit-variance inputs saturate the first layers: direction only."""
    r = _demo.run_demo(layers=6, units=300, batch=300, input_std=1.0, seed=3)
    assert r["glorot"]["gradient_ratio"] < r["standard"]["gradient_ratio"] / 10
    assert r["glorot"]["activation_ratio"] > r["standard"]["activation_ratio"] * 10


def test_matches_a_direct_computation():
    r = _demo.run_demo(layers=2, units=20, batch=30, input_std=0.5, seed=7)
    ws = _demo.weights("glorot", 2, 20, 7)
    x = _demo._api.normal((30, 20), 0.0, 0.5, dtype=np.float64,
                          seed=_demo._seeds.named_seed(7, "inputs"))
    c = _demo._api.normal((30, 20), dtype=np.float64, seed=_demo._seeds.named_seed(7, "cost"))
    h1 = np.tanh(x @ ws[0])
    h2 = np.tanh(h1 @ ws[1])
    d2 = c * (1 - h2**2)
    d1 = (d2 @ ws[1].T) * (1 - h1**2)
    g = r["glorot"]
    np.testing.assert_allclose(g["activation_var"], [h1.var(), h2.var()])
    np.testing.assert_allclose(g["gradient_var"], [d1.var(), d2.var()])
    np.testing.assert_allclose(g["weight_gradient_var"], [(x.T @ d1).var(), (h1.T @ d2).var()])
    a = np.sqrt(6 / 40)
    assert all(np.abs(w).max() <= a for w in ws)
    assert all(np.abs(w).max() <= 1 / np.sqrt(20) for w in _demo.weights("standard", 2, 20, 7))


def test_reproducible_and_seeded():
    a = _demo.run_demo(layers=3, units=40, batch=20, seed=1)
    assert a == _demo.run_demo(layers=3, units=40, batch=20, seed=1)
    assert a != _demo.run_demo(layers=3, units=40, batch=20, seed=2)


@pytest.mark.parametrize("kwargs", [{"layers": 0}, {"units": -1}, {"batch": 1.5},
                                    {"input_std": 0.0}, {"input_std": float("nan")}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        _demo.run_demo(**kwargs)
    with pytest.raises(ValueError, match="scheme"):
        _demo.weights("he", 1, 2, 0)


def test_cli_prints_json_and_plots(tmp_path, capsys):
    path = tmp_path / "demo.json"
    png = tmp_path / "demo.png"
    argv = ["demo", "--layers", "3", "--units", "50", "--batch", "40", "--json", str(path)]
    if _has_matplotlib():
        argv += ["--plot", str(png)]
    assert _cli.main(argv) == 0
    out = capsys.readouterr().out
    res = json.loads(path.read_text())
    assert res["layers"] == 3 and len(res["glorot"]["gradient_var"]) == 3
    assert "top/bottom" in out and "Var[dC/ds_i]" in out
    if _has_matplotlib():
        assert png.read_bytes()[:4] == b"\x89PNG"


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_cli_subprocess_json_stdout(tmp_path):
    r = subprocess.run([sys.executable, "-m", "xavier", "demo", "--layers", "2", "--units", "10",
                        "--batch", "10", "--json", "-"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["units"] == 10
    assert "top/bottom" in r.stderr


def test_cli_bad_argument(capsys):
    with pytest.raises(SystemExit) as e:
        _cli.main(["demo", "--input-std", "0"])
    assert e.value.code == 2


def test_cli_plot_without_matplotlib(tmp_path, monkeypatch, capsys):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    png = tmp_path / "demo.png"
    assert _cli.main(["demo", "--layers", "2", "--units", "8", "--plot", str(png)]) == 2
    assert "--plot needs matplotlib" in capsys.readouterr().err
    assert not png.exists()
