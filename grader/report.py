"""report.py - a class's reports (grader/class.py): class.csv, report.html, the similarity flags.

report.html is one file that needs no network and no framework: the class table (a click on a
column's head sorts by it: a few lines of script), a histogram of the totals and each test's pass
rate drawn in SVG, each student's page (an anchor of the same file) with their failures and
reasons, and the pairs of submissions that share unusual amounts of code.

The similarity check is winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003, the method
behind MOSS): each lab's code becomes a stream of tokens with names and constants made alike,
hashed K tokens at a time; of each window of W hashes the smallest is kept. Two submissions
whose kept hashes of one lab overlap much share code, however renamed or reindented. The
handout's own code (every student starts from it), the reference's (catch-up trees hand it out
for the labs before theirs) and what most of the class writes alike are left out. It is a flag
for a human to read both, not a verdict.
"""

import csv
import hashlib
import html
import io
import json
import os
import re

K = 12          # tokens per hashed piece: shorter pieces are common idioms
W = 8           # window: any piece of W + K - 1 tokens in common is found
FLAG_SHARE = 0.6  # a pair is flagged when this much of the smaller's kept hashes are shared
FLAG_MIN = 12     # ... and at least this many
COMMON = 0.5      # a hash more than this share of the class has is nobody's own


# --- similarity -----------------------------------------------------------------------------

TOKEN = re.compile(r"""
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<number>\b\d[\w.]*)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<punct>->|\+\+|--|<<=?|>>=?|[<>=!&|^+\-*/%]=|&&|\|\||\S)
""", re.S | re.X)
KEYWORDS = set("""auto break case char const continue default do double else enum extern float for
goto if inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while bool true false NULL size_t ssize_t uint64_t uint32_t int64_t
pid_t""".split())


def tokens(text):
    """The code as tokens, names and constants made alike (a renamed copy is still a copy)."""
    out = []
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "comment":
            continue
        word = m.group()
        if kind == "name":
            out.append(word if word in KEYWORDS else "N")
        elif kind in ("string", "number"):
            out.append(kind[0])
        else:
            out.append(word)
    return out


def fingerprints(text):
    toks = tokens(text)
    hashes = [int.from_bytes(hashlib.blake2b(" ".join(toks[i:i + K]).encode(), digest_size=8).digest(), "big")
              for i in range(len(toks) - K + 1)]
    kept = set()
    for i in range(max(len(hashes) - W + 1, 1 if hashes else 0)):
        kept.add(min(hashes[i:i + W]))
    return kept


def similar_pairs(texts, given_dirs):
    """[(share, shared, a, b, lab)] of pairs of students flagged, most similar first.

    texts: {student: {lab: code}}; given_dirs: folders of lab folders whose code is nobody's
    own (the kit's labs/, the handout, and solutions/, the reference)."""
    flagged = []
    labs = sorted({lab for t in texts.values() for lab in t})
    for lab in labs:
        given = set()
        for top in given_dirs:
            d = os.path.join(top, lab)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                if name.endswith(".c"):
                    with open(os.path.join(d, name), errors="replace") as f:
                        given |= fingerprints(f.read())
        prints = {s: fingerprints(t[lab]) - given for s, t in texts.items() if lab in t}
        counts = {}
        for fp in prints.values():
            for h in fp:
                counts[h] = counts.get(h, 0) + 1
        if len(prints) >= 4:
            common = {h for h, n in counts.items() if n > COMMON * len(prints)}
            prints = {s: fp - common for s, fp in prints.items()}
        names = sorted(prints)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                shared = len(prints[a] & prints[b])
                smaller = min(len(prints[a]), len(prints[b]))
                if smaller and shared >= FLAG_MIN and shared / smaller >= FLAG_SHARE:
                    flagged.append((round(shared / smaller, 2), shared, a, b, lab))
    return sorted(flagged, key=lambda f: (-f[0], -f[1], f[4], f[2], f[3]))


# --- class.csv ------------------------------------------------------------------------------

def write_csv(path, wanted, summaries):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "status", "late"] + [f"stage {s}" for s in wanted] + ["total", "max", "flags"])
    for s in summaries:
        stages = s.get("stages", {})
        w.writerow([s["student"], s["status"], "late" if s.get("late") else ""] +
                   [stages.get(st, (0, 0))[0] for st in wanted] +
                   [s.get("score", 0), s.get("max_score", 0), flags_of(s)])
    atomic_write(path, buf.getvalue())


def flags_of(s):
    flags = []
    if s.get("forged"):
        flags.append("forged results")
    for lab in sorted(s.get("compile_errors", {})):
        flags.append(f"lab {int(lab)} does not build")
    return "; ".join(flags)


def atomic_write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# --- report.html ----------------------------------------------------------------------------

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .25em .6em; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child, .text { text-align: left; }
thead th { cursor: pointer; background: #f3f3f3; position: sticky; top: 0; }
thead th[aria-sort=ascending]::after { content: " \\25B2"; } thead th[aria-sort=descending]::after { content: " \\25BC"; }
.flag { color: #a40000; font-weight: 600; } .late { color: #9a5b00; } .muted { color: #777; }
.pass { color: #176b1d; } .fail { color: #a40000; }
pre { background: #f7f7f7; padding: .5em; overflow-x: auto; font-size: 13px; max-height: 20em; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
section.student { margin-top: 1.5em; }
"""

SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var down = th.getAttribute("aria-sort") === "ascending";
      table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", down ? "descending" : "ascending");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return down ? -c : c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def esc(text):
    return html.escape(str(text), quote=True)


def anchor(student):
    return "student-" + re.sub(r"[^A-Za-z0-9_-]", "_", student)


def histogram(totals, max_score):
    """An SVG histogram of the totals, in 10 bins of the maximum."""
    bins = [0] * 10
    for t in totals:
        bins[min(9, int(10 * t / max_score)) if max_score else 0] += 1
    width, height, top = 520, 180, max(bins + [1])
    bar = width / 10
    parts = [f'<svg id="histogram" role="img" aria-label="totals" width="{width}" height="{height + 40}" '
             f'viewBox="0 0 {width} {height + 40}" xmlns="http://www.w3.org/2000/svg">']
    for i, n in enumerate(bins):
        h = height * n / top
        lo = round(i * max_score / 10)
        parts.append(f'<rect class="bin" x="{i * bar + 2:.0f}" y="{height - h:.0f}" width="{bar - 4:.0f}" '
                     f'height="{h:.0f}" fill="#4a7bb7"><title>{lo}-{round((i + 1) * max_score / 10)}: '
                     f'{n} student(s)</title></rect>')
        if n:
            # The count above its bar, or inside it at the top when the bar is the tallest.
            y, colour = (height - h - 3, "#333") if h < height - 14 else (height - h + 13, "#fff")
            parts.append(f'<text x="{i * bar + bar / 2:.0f}" y="{y:.0f}" text-anchor="middle" '
                         f'style="fill: {colour}">{n}</text>')
        parts.append(f'<text x="{i * bar + bar / 2:.0f}" y="{height + 15}" text-anchor="middle">{lo}</text>')
    parts.append(f'<text x="{width / 2:.0f}" y="{height + 34}" text-anchor="middle">total points (of {max_score})</text>')
    parts.append("</svg>")
    return "".join(parts)


def pass_rates(tests, summaries):
    """An SVG bar per test: the share of graded students who passed it."""
    graded = [s for s in summaries if s.get("status") == "graded"]
    rows = []
    for t in tests:
        key = f"stage {t.stage}: {t.name}"
        passed = sum(1 for s in graded for r in s.get("tests", []) if r["name"] == key and r["status"] == "passed")
        rows.append((key, t.hidden, passed / len(graded) if graded else 0))
    line, label, bar = 16, 520, 240
    parts = [f'<svg id="passrates" role="img" aria-label="pass rate of each test" width="{label + bar + 50}" '
             f'height="{line * len(rows) + 10}" xmlns="http://www.w3.org/2000/svg">']
    for i, (key, hidden, rate) in enumerate(rows):
        y = i * line + 4
        name = key if len(key) <= 86 else key[:83] + "..."
        parts.append(f'<text x="0" y="{y + 11}">{esc(name)}{" (hidden)" if hidden else ""}</text>'
                     f'<rect class="rate" x="{label}" y="{y + 2}" width="{bar * rate:.0f}" height="{line - 5}" '
                     f'fill="{"#3d8b40" if rate >= .5 else "#c0504d"}"><title>{esc(key)}: {rate:.0%}</title></rect>'
                     f'<text x="{label + bar * rate + 4:.0f}" y="{y + 11}">{rate:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def write_html(path, stages, wanted, tests, summaries, pairs):
    max_score = max([s.get("max_score", 0) for s in summaries] + [0])
    graded = [s for s in summaries if s.get("status") == "graded"]
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>minidock: class report</title><style>{STYLE}</style></head><body>",
           '<h1 id="top">minidock: class report</h1>',
           f'<p>{len(summaries)} submission(s), {len(graded)} graded; stages {", ".join(wanted)}. '
           'Click a column\'s head to sort by it, a name for the student\'s page.</p>']
    out.append('<table id="class" class="sortable"><thead><tr><th>student</th><th class="text">status</th>' +
               "".join(f'<th title="{esc(stages[s][1])}">{s}</th>' for s in wanted) +
               '<th>total</th><th class="text">flags</th></tr></thead><tbody>')
    for s in summaries:
        st = s.get("stages", {})
        late = ' <span class="late">late</span>' if s.get("late") else ""
        flags = flags_of(s)
        out.append(f'<tr><td class="text" data-v="{esc(s["student"])}"><a href="#{anchor(s["student"])}">'
                   f'{esc(s["student"])}</a></td><td class="text" data-v="{esc(s["status"])}">{esc(s["status"])}{late}</td>' +
                   "".join(f'<td data-v="{st.get(x, (0, 0))[0]}">{st.get(x, (0, 0))[0]}</td>' for x in wanted) +
                   f'<td data-v="{s.get("score", 0)}"><b>{s.get("score", 0)}</b>/{s.get("max_score", 0)}</td>'
                   f'<td class="text flag" data-v="{esc(flags)}">{esc(flags)}</td></tr>')
    out.append("</tbody></table>")
    out.append("<h2>Totals</h2>" + histogram([s.get("score", 0) for s in graded], max_score))
    out.append("<h2>Each test's pass rate</h2>" + pass_rates([t for t in tests if t.stage in wanted], summaries))
    out.append('<h2 id="similarity">Submissions that share code</h2>')
    if pairs:
        out.append("<p>Pairs whose code of one lab shares much more than the handout and the rest of the "
                   "class do (winnowing of the tokens, names made alike). A flag for a human to read both, "
                   'not a verdict.</p><table id="pairs"><thead><tr><th>lab</th><th>student</th><th>student</th>'
                   "<th>shared</th></tr></thead><tbody>")
        for share, shared, a, b, lab in pairs:
            out.append(f'<tr><td class="text">{esc(lab)}</td><td class="text"><a href="#{anchor(a)}">{esc(a)}</a></td>'
                       f'<td class="text"><a href="#{anchor(b)}">{esc(b)}</a></td><td>{share:.0%} ({shared})</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append("<p>None flagged.</p>")
    out.append("<h2>Students</h2>")
    for s in summaries:
        out.append(f'<section class="student" id="{anchor(s["student"])}"><h3>{esc(s["student"])}: '
                   f'{s.get("score", 0)}/{s.get("max_score", 0)} <span class="muted">({esc(s["status"])}'
                   f'{", late" if s.get("late") else ""})</span></h3>')
        if s.get("forged"):
            out.append(f'<p class="flag">Reached for the grader\'s results:</p><pre>{esc(s["forged"])}</pre>')
        for note in s.get("notes", []):
            out.append(f'<p class="muted">{esc(note)}</p>')
        for lab, why in sorted(s.get("compile_errors", {}).items()):
            out.append(f'<p class="fail">Lab {int(lab)} does not build:</p><pre>{esc(why)}</pre>')
        if s.get("stages"):
            out.append("<table><tr><th>stage</th><th>points</th></tr>" +
                       "".join(f"<tr><td>{x} {esc(stages[x][1]) if x in stages else ''}</td>"
                               f"<td>{s['stages'][x][0]}/{s['stages'][x][1]}</td></tr>" for x in wanted if x in s["stages"]) +
                       "</table>")
        failures = [t for t in s.get("tests", []) if t["status"] != "passed"]
        if failures:
            out.append(f"<p>{len(failures)} test(s) failed:</p><ul>")
            for t in failures:
                out.append(f'<li><span class="fail">{esc(t["name"])}</span>{" (hidden)" if t.get("hidden") else ""}'
                           f'{"<pre>" + esc(t["output"]) + "</pre>" if t.get("output") else ""}</li>')
            out.append("</ul>")
        out.append('<p><a href="#top">back to the class</a></p></section>')
    out.append(f"<script>{SCRIPT}</script></body></html>")
    atomic_write(path, "\n".join(out) + "\n")


def write_all(out, stages, wanted, tests, summaries, texts, given_dirs):
    pairs = similar_pairs(texts, given_dirs)
    write_csv(os.path.join(out, "class.csv"), wanted, summaries)
    write_html(os.path.join(out, "report.html"), stages, wanted, tests, summaries, pairs)
    atomic_write(os.path.join(out, "similarity.json"),
                 json.dumps([{"lab": lab, "a": a, "b": b, "share": share, "shared": shared}
                             for share, shared, a, b, lab in pairs], indent=1) + "\n")
