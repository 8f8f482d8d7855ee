#!/usr/bin/env python3
"""layers.py: check the shape of the given code (tests/run runs it).

lib/ is in three layers, each allowed to include only from itself and the layers under it:
    lib/cli      the command line       may use: cli, engine, util, the labs' contracts
    lib/engine   the engine's state     may use: engine, util, the labs' contracts
    lib/util     helpers                may use: util
and a lab's code (solutions/NN-*/*.c) may use: engine, util, the labs' contracts (never the
command line). The labs' contracts (the header beside each lab's task) are the interfaces
between the two: lib/ calls the labs through them, and the labs call lib/.

No two modules of lib/ (a .c and its .h: container.c and container.h are "container") may
include each other, even through others: a module is read after what it uses, never in a
circle. Prints each fault and exits 1 when there is one.
"""
import glob
import os
import re
import sys

INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)
ALLOWED = {"cli": {"cli", "engine", "util", "lab"}, "engine": {"engine", "util", "lab"},
           "util": {"util"}, "lab-code": {"engine", "util", "lab"}}


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(top)
    labs = "solutions" if os.path.isdir("solutions") else "labs"
    where = {}  # header name: its layer
    for layer in ("cli", "engine", "util"):
        for h in glob.glob(f"lib/{layer}/*.h"):
            where[os.path.basename(h)] = layer
    for h in glob.glob(f"{labs}/[0-9][0-9]-*/*.h"):
        where[os.path.basename(h)] = "lab"
    faults = []
    uses = {}  # module of lib/: the modules of lib/ it includes
    files = [(f, f.split("/")[1]) for f in glob.glob("lib/*/*.[ch]")] + \
            [(f, "lab-code") for f in glob.glob(f"{labs}/[0-9][0-9]-*/*.c")]
    for path, layer in files:
        for name in INCLUDE.findall(open(path).read()):
            target = where.get(name)
            if target is None:
                faults.append(f"{path}: includes \"{name}\", which is in no layer")
            elif target not in ALLOWED[layer]:
                faults.append(f"{path}: the {layer} layer includes {name} of the {target} layer")
            elif layer != "lab-code" and target != "lab":
                module = os.path.splitext(os.path.basename(path))[0]
                other = os.path.splitext(name)[0]
                if other != module:
                    uses.setdefault(module, set()).add(other)

    def cycle_from(start):
        path, seen = [start], set()

        def walk(node):
            for nxt in sorted(uses.get(node, ())):
                if nxt == start:
                    return path + [start]
                if nxt not in seen:
                    seen.add(nxt)
                    path.append(nxt)
                    found = walk(nxt)
                    if found:
                        return found
                    path.pop()
            return None
        return walk(start)

    reported = set()
    for module in sorted(uses):
        found = cycle_from(module)
        if found and frozenset(found) not in reported:
            reported.add(frozenset(found))
            faults.append("an include cycle: " + " -> ".join(found))
    for fault in faults:
        print(f"layers: {fault}")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
