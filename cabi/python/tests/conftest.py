"""Fixtures: the repository's data files, the guest libraries and the misbehaving C fixtures.

Guests are discovered, not listed: every ``libconformance_*.so`` in ``$VIRGIL_GUEST_DIR`` (default
``<repo>/build``) is tested, so a Rust or Haskell guest built there joins the matrix by itself.
The Go and C guests are built there first when missing. Without the toolchain to build them the
tests that need them are skipped with the reason, except under ``CI=true``, where a missing
toolchain fails the run. Misbehaving fixtures (``host/testdata/*.c`` and ``tests/fixtures/*.c``)
are built into a temporary directory for each run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import virgil

REPO = Path(__file__).resolve().parents[3]
GUEST_DIR = Path(os.environ.get("VIRGIL_GUEST_DIR") or REPO / "build")
IN_CI = os.environ.get("CI", "").lower() == "true"
CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared"]

# Why a guest could not be built, by language, for the skip message.
_UNBUILT: Dict[str, str] = {}


def _run(command: List[str]) -> None:
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def _build_guests() -> None:
    """Builds the Go and C conformance guests into GUEST_DIR when they are missing."""
    recipes = {
        "go": (
            "go",
            [
                "go",
                "build",
                "-buildmode=c-shared",
                "-o",
                str(GUEST_DIR / "libconformance_go.so"),
                "./examples/go-guest",
            ],
        ),
        "c": (
            "gcc",
            [
                "gcc",
                *CFLAGS,
                "-I",
                "cabi",
                "-o",
                str(GUEST_DIR / "libconformance_c.so"),
                *sorted(
                    str(p.relative_to(REPO)) for p in (REPO / "examples" / "c-guest").glob("*.c")
                ),
                "-lm",
            ],
        ),
    }
    for language, (tool, command) in recipes.items():
        if (GUEST_DIR / f"libconformance_{language}.so").exists():
            continue
        if shutil.which(tool) is None:
            _UNBUILT[language] = f"{tool} is not installed, so the {language} guest cannot be built"
            continue
        GUEST_DIR.mkdir(parents=True, exist_ok=True)
        try:
            _run(command)
        except RuntimeError as error:
            _UNBUILT[language] = str(error)


def pytest_configure(config: pytest.Config) -> None:
    _build_guests()
    if IN_CI and _UNBUILT:
        raise pytest.UsageError("CI=true and guests are missing:\n" + "\n".join(_UNBUILT.values()))


def guest_paths() -> List[Path]:
    """Every conformance guest to test, sorted."""
    return sorted(GUEST_DIR.glob("libconformance_*.so"))


def _guest_params() -> List[Any]:
    params: List[Any] = [
        pytest.param(path, id=path.stem.replace("libconformance_", "")) for path in guest_paths()
    ]
    for language, reason in sorted(_UNBUILT.items()):
        params.append(pytest.param(None, id=language, marks=pytest.mark.skip(reason=reason)))
    if not params:
        params.append(
            pytest.param(
                None, id="none", marks=pytest.mark.skip(reason=f"no guests in {GUEST_DIR}")
            )
        )
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrizes every test asking for ``guest`` (a path) over the discovered guests."""
    if "guest" in metafunc.fixturenames:
        metafunc.parametrize("guest", _guest_params(), scope="session")


@pytest.fixture(scope="session")
def libraries() -> Dict[Path, virgil.Library]:
    """One loaded Library per guest path, shared by the tests (libraries are never unloaded)."""
    return {}


@pytest.fixture
def lib(guest: Path, libraries: Dict[Path, virgil.Library]) -> virgil.Library:
    """The guest under test, loaded once per run."""
    if guest not in libraries:
        libraries[guest] = virgil.load(guest)
    return libraries[guest]


@pytest.fixture(scope="session")
def go_guest() -> Path:
    """The Go guest, for tests about Go specifically (its frames, its panics)."""
    path = GUEST_DIR / "libconformance_go.so"
    if not path.exists():
        pytest.skip(_UNBUILT.get("go", f"{path} is missing"))
    return path


class FixtureBuilder:
    """Builds C fixtures (each file alone) into one temporary directory per run."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.built: Dict[str, Path] = {}

    def __call__(self, source: str) -> Path:
        if source in self.built:
            return self.built[source]
        if shutil.which("gcc") is None:
            if IN_CI:
                pytest.fail("CI=true and gcc is not installed")
            pytest.skip("gcc is not installed, so the C fixtures cannot be built")
        output = self.directory / (Path(source).stem + ".so")
        _run(["gcc", *CFLAGS, "-I", "cabi", "-o", str(output), source])
        self.built[source] = output
        return output


@pytest.fixture(scope="session")
def build_c(tmp_path_factory: pytest.TempPathFactory) -> FixtureBuilder:
    """``build_c("host/testdata/badguest.c")`` is the path of that fixture, built."""
    return FixtureBuilder(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="session")
def vectors() -> List[Dict[str, Any]]:
    """The test vectors of cabi/testdata/vectors.json."""
    document = json.loads((REPO / "cabi" / "testdata" / "vectors.json").read_text())
    return list(document["vectors"])


def load_cases() -> List[Dict[str, Any]]:
    """The conformance cases of cabi/conformance/cases.json."""
    return list(json.loads((REPO / "cabi" / "conformance" / "cases.json").read_text())["cases"])


def guest_language(library: virgil.Library) -> str:
    """The language a guest library is written in (its manifest's, else its file name's)."""
    if library.manifest is not None and library.manifest.language:
        return library.manifest.language
    return Path(library.path).stem.replace("libconformance_", "")


def not_yet_conforming(library: virgil.Library, what: str) -> None:
    """Skips a case a guest's kit does not pass yet while its engineers update it to the ABI's
    new edges and limits (issue 12): a transition, reported as a skip with the reason."""
    pytest.skip(f"guest {guest_language(library)}: kit not yet conforming: {what}")


def stats(library: virgil.Library) -> Dict[str, int]:
    """The guest's allocation counters (virgil_stats)."""
    counters: Dict[str, int] = library.call("virgil_stats")
    return counters


@pytest.fixture
def leak_checked(lib: virgil.Library) -> Iterator[virgil.Library]:
    """The library under test, checked to have no more live guest buffers afterwards."""
    before = stats(lib)["live"]
    yield lib
    assert stats(lib)["live"] == before, "guest buffers leaked"
