#!/usr/bin/env python3
"""classroom.py RUBRIC OUT.yml: GitHub Classroom's workflow (classroom.yml) with a step per test."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import grade  # noqa: E402

stages, tests = grade.load_rubric(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
template = open(os.path.join(here, "classroom.yml")).read()
steps, env, ids = [], [], []
for n, t in enumerate(tests, 1):
    name = f"stage {t.stage}: {t.name}".replace('"', "'")
    steps.append(f"""      - name: "{name}"
        id: t{n}
        uses: classroom-resources/autograding-command-grader@v1
        with:
          test-name: "{name}"
          command: python3 grader/platforms/verdict.py build/labs/results/results.json {int(t.stage)}.{t.index}
          timeout: 1
          max-score: {t.points}""")
    env.append(f"          T{n}_RESULTS: \"${{{{steps.t{n}.outputs.result}}}}\"")
    ids.append(f"t{n}")
text = template.replace("@TESTS@", "\n".join(steps)).replace("@ENV@", "\n".join(env)).replace("@RUNNERS@", ",".join(ids))
# The template's own comment lines are for the kit's readers; the workflow keeps them.
with open(sys.argv[2], "w") as f:
    f.write(text)
