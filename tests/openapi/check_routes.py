#!/usr/bin/env python3
"""Check that openapi/openapi.yaml documents exactly the routes that src/rest/mod.rs registers.

Usage: python3 tests/openapi/check_routes.py [--router src/rest/mod.rs] [--document openapi/openapi.yaml]

The router is read as text: every `.route("/path", web::method()...)` call counts, prefixed by
the `web::scope("/prefix")` calls that enclose it. Path parameters are compared by position
only, so `{name:.*}` in the router matches `{folder}` in the document.

It exits with status 1 after listing each route that is missing from the document and each
documented operation that the router no longer has. It exits with status 2 when a file cannot be
read or the router uses a construct that this parser does not follow.

Needs PyYAML only when the document is YAML. A `.json` document is read with the standard library.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

ROUTE_CALL = re.compile(r'\.route\(\s*"(?P<path>[^"]*)"\s*,\s*web::(?P<method>[a-z]+)\(\)')
SCOPE_CALL = re.compile(r'web::scope\(\s*"(?P<prefix>[^"]*)"\s*\)')
# Registrations that add routes this parser cannot see. The check fails on them rather than
# skipping routes silently.
UNSUPPORTED = {
    "web::resource(": "routes registered with web::resource",
    ".configure(": "routes registered by another configure function",
    "#[get(": "routes registered with attribute macros",
    "#[post(": "routes registered with attribute macros",
    "#[put(": "routes registered with attribute macros",
    "#[delete(": "routes registered with attribute macros",
    "#[patch(": "routes registered with attribute macros",
    "#[route(": "routes registered with attribute macros",
}


class ParseError(Exception):
    """The router source uses a construct that this script does not understand."""


def strip_comments(source: str) -> str:
    """Blank out `//` and `/* */` comments, keeping string literals and offsets intact."""
    result = list(source)
    i = 0
    in_string = False
    while i < len(source):
        c = source[i]
        if in_string:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
            continue
        if c == '"':
            in_string = True
            i += 1
            continue
        if source.startswith("//", i):
            end = source.find("\n", i)
            end = len(source) if end == -1 else end
            for j in range(i, end):
                result[j] = " "
            i = end
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = len(source) if end == -1 else end + 2
            for j in range(i, end):
                if result[j] != "\n":
                    result[j] = " "
            i = end
            continue
        i += 1
    return "".join(result)


def matching_parens(source: str) -> dict[int, int]:
    """Map the offset of every `(` outside string literals to the offset of its `)`."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    in_string = False
    i = 0
    while i < len(source):
        c = source[i]
        if in_string:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "(":
            stack.append(i)
        elif c == ")":
            if not stack:
                raise ParseError(f"unbalanced ')' at offset {i} of the router source")
            pairs[stack.pop()] = i
        i += 1
    if stack:
        raise ParseError(f"unbalanced '(' at offset {stack[-1]} of the router source")
    return pairs


def enclosing_span(pairs: dict[int, int], offset: int) -> tuple[int, int]:
    """Return the innermost parenthesised span that contains `offset`."""
    best: tuple[int, int] | None = None
    for start, end in pairs.items():
        if start < offset < end and (best is None or start > best[0]):
            best = (start, end)
    if best is None:
        raise ParseError(f"web::scope at offset {offset} is not inside a .service(...) call")
    return best


def normalize(path: str) -> str:
    """Replace every path parameter, with or without a regex, by `{}`."""
    normalized = re.sub(r"\{[^}]*\}", "{}", path)
    return normalized if normalized == "/" else normalized.rstrip("/")


def router_routes(source: str) -> dict[tuple[str, str], str]:
    """Return {(METHOD, normalized path): path as written} for every route in the router."""
    code = strip_comments(source)
    for needle, description in UNSUPPORTED.items():
        if needle in code:
            raise ParseError(
                f"the router uses {needle!r} ({description}); extend check_routes.py to follow it"
            )
    pairs = matching_parens(code)
    scopes = []
    for match in SCOPE_CALL.finditer(code):
        scopes.append((enclosing_span(pairs, match.start()), match.group("prefix")))

    routes: dict[tuple[str, str], str] = {}
    for match in ROUTE_CALL.finditer(code):
        method = match.group("method")
        if method not in HTTP_METHODS:
            raise ParseError(f"unknown route method web::{method}() for {match.group('path')!r}")
        enclosing = sorted(
            (span, prefix) for span, prefix in scopes if span[0] < match.start() < span[1]
        )
        full_path = "".join(prefix for _, prefix in enclosing) + match.group("path")
        routes[(method.upper(), normalize(full_path))] = full_path
    if not routes:
        raise ParseError("no .route(...) calls found in the router source")
    return routes


def load_document(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    try:
        import yaml
    except ImportError:
        sys.exit(
            "check_routes.py: PyYAML is needed to read a YAML document; run it with the "
            "interpreter of .local/openapi-tools (created by tests/openapi/run.sh) or "
            "`pip install pyyaml`"
        )
    return yaml.safe_load(text)


def documented_routes(document: dict) -> dict[tuple[str, str], str]:
    """Return {(METHOD, normalized path): path as written} for every documented operation."""
    routes: dict[tuple[str, str], str] = {}
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if method in item:
                routes[(method.upper(), normalize(path))] = path
    return routes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--router", type=Path, default=REPO_ROOT / "src/rest/mod.rs")
    parser.add_argument("--document", type=Path, default=REPO_ROOT / "openapi/openapi.yaml")
    args = parser.parse_args()

    try:
        registered = router_routes(args.router.read_text(encoding="utf-8"))
        documented = documented_routes(load_document(args.document))
    except (OSError, ParseError) as error:
        print(f"check_routes.py: {error}", file=sys.stderr)
        return 2

    missing = sorted(set(registered) - set(documented), key=lambda key: (key[1], key[0]))
    stale = sorted(set(documented) - set(registered), key=lambda key: (key[1], key[0]))
    for key in missing:
        print(f"missing from {args.document.name}: {key[0]} {registered[key]}")
    for key in stale:
        print(f"documented but not routed in {args.router.name}: {key[0]} {documented[key]}")
    if missing or stale:
        print(f"check_routes.py: {len(missing)} missing, {len(stale)} stale", file=sys.stderr)
        return 1
    print(f"check_routes.py: all {len(registered)} routes are documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
