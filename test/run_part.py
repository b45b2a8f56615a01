# SPDX-License-Identifier: GPL-2.0-or-later
"""Run some test classes of one test module, as `python3 -m unittest -v` would.

    run_part.py MODULE --only CLASS [CLASS ...]
    run_part.py MODULE --except CLASS [CLASS ...]

CTest runs a long module as several tests, each a part of its classes
(test/CMakeLists.txt, newmail_tshark_test(... SPLIT ...)), so that the two
cores share it; --except runs every class the --only parts leave, so a class
added later runs without anybody listing it. Naming a class the module does
not have is an error. Exit status: 0 when every test passed or was skipped.
"""

import argparse
import importlib
import sys
import unittest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--only", nargs="+", metavar="CLASS")
    group.add_argument("--except", dest="excluded", nargs="+", metavar="CLASS")
    args = parser.parse_args(argv)
    module = importlib.import_module(args.module)
    classes = {name: value for name, value in vars(module).items()
               if isinstance(value, type) and issubclass(value, unittest.TestCase)
               and value.__module__ == module.__name__}
    named = args.only or args.excluded
    unknown = sorted(set(named) - set(classes))
    if unknown:
        parser.error(f"{args.module} has no test class {', '.join(unknown)}")
    chosen = [name for name in classes if (name in named) == bool(args.only)]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(classes[name]) for name in chosen)
    print(f"{args.module}: {', '.join(chosen)}", flush=True)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
