"""The example program (examples/python-host) and the benchmark script run and say what they
should."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def run(*args: str) -> str:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    result = subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_python_host_example(go_guest: Path) -> None:
    output = run("examples/python-host/main.py", str(go_guest))
    assert "== conformance" in output and "written in go" in output
    assert "add(40, 2)          = 42" in output
    assert "divide(1, 0) raised ZeroDivisionError: division by zero (from go)" in output
    assert "in main.chainLevel [go]" in output and "lib.fail_chain(3)" in output
    chain, _, closures = output.partition("apply(lambda x: 2 * x, 21)")
    assert chain.count("The above exception was the direct cause of the following exception") == 2
    assert "virgil.errors.ChainLevel3: level 3" in chain
    if closures:  # the guest takes closures (its manifest lists apply)
        assert closures.startswith("     = 42")
        assert "map_ints(lambda x: x * x, ...) = [1, 4, 9]" in closures
        assert 'raise CallbackError(f"callback failed on {x}")' in closures
        assert "lib.apply(fail, 1)" in closures
        assert "CallbackError: callback failed on 1" in closures


def test_the_benchmark_script(guest: Path) -> None:
    output = run("cabi/python/bench.py", str(guest), "--calls", "200", "--rounds", "1")
    assert "add(1, 2)" in output and "x raw ctypes" in output and "echo_bytes(16 MiB)" in output
