"""A C compiler wrapper for tests: the system compiler, minus OpenMP.

Any command line that asks for OpenMP (-fopenmp) fails, as with a compiler
that has none (Apple clang without libomp); everything else is passed on."""
import os
import subprocess
import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    if any(a == "-fopenmp" for a in args):
        sys.stderr.write("cc_without_openmp: OpenMP is not available\n")
        sys.exit(1)
    sys.exit(subprocess.call([os.environ.get("REAL_CC", "cc")] + args))
