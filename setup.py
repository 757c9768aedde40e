"""Build the compiled core, xavier._core, from src/.

OpenMP is used when the compiler supports it (gcc, clang with libomp);
otherwise the extension builds single-threaded and says so.  SIMD paths are
chosen at run time (src/stream.c), so no -march flag is ever passed.

Environment knobs:
  XAVIER_NO_OPENMP=1      build without OpenMP even if available
  XAVIER_EXTRA_CFLAGS     extra compiler flags (e.g. sanitizers), space-separated
  XAVIER_EXTRA_LDFLAGS    extra linker flags
"""
import os
import shlex
import sys
import tempfile
import textwrap
import warnings

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

OPENMP_TEST = textwrap.dedent(
    """
    #include <omp.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        return n > 0 ? 0 : 1;
    }
    """
)


def _compiles(compiler, flags, source=OPENMP_TEST, link=True):
    """True if `source` compiles (and links) with `flags`."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(source)
        try:
            objs = compiler.compile([src], output_dir=tmp, extra_postargs=flags)
            if link:
                compiler.link_executable(objs, os.path.join(tmp, "probe"), extra_postargs=flags)
        except Exception:
            return False
    return True


class BuildExt(build_ext):
    def build_extensions(self):
        cc = self.compiler
        msvc = cc.compiler_type == "msvc"
        if msvc:
            cflags = ["/O2", "/fp:precise"]
            omp = ["/openmp"]
            simd_only = []
        else:
            # -ffp-contract=off: no fused multiply-add, so every path gives the same
            # bits; -fno-trapping-math lets GCC if-convert (and so vectorize) loops
            # with selects between arithmetic results; neither changes a value.
            cflags = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math",
                      "-Wno-psabi"]
            omp = ["-fopenmp"]
            simd_only = ["-fopenmp-simd"]
        ldflags = []
        want_omp = os.environ.get("XAVIER_NO_OPENMP", "") in ("", "0")
        if want_omp and _compiles(cc, omp):
            cflags += omp
            ldflags += omp
        else:
            if want_omp:
                warnings.warn(
                    "xavier: this compiler has no OpenMP; building the core single-threaded "
                    "(install libomp, or use gcc, for parallel fills)",
                    stacklevel=1,
                )
            if simd_only and _compiles(cc, simd_only, "int main(void){return 0;}", link=False):
                cflags += simd_only
        cflags += shlex.split(os.environ.get("XAVIER_EXTRA_CFLAGS", ""))
        ldflags += shlex.split(os.environ.get("XAVIER_EXTRA_LDFLAGS", ""))
        for ext in self.extensions:
            ext.extra_compile_args = cflags + list(ext.extra_compile_args or [])
            ext.extra_link_args = ldflags + list(ext.extra_link_args or [])
        super().build_extensions()


extensions = [
    Extension(
        "xavier._core",
        sources=["src/_core.pyx", "src/stream.c", "src/pool.c"],
        include_dirs=["src", numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        libraries=[] if sys.platform == "win32" else ["m"],
        depends=["src/pool.h", "src/stream.h", "src/stream_kernels.h", "src/kernels_bf16_avx512.h",
                 "src/vmath.h", "src/xoshiro.h"],
    )
]

# Run as a script (python setup.py, pip) this builds the core; tests/conftest.py
# loads it under another name for BuildExt, to build its test-only extension
# with the same flags.
if __name__ == "__main__":
    setup(
        ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}),
        cmdclass={"build_ext": BuildExt},
    )
