#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check reStructuredText files with docutils alone, no Sphinx.

kernel-doc writes Sphinx's C-domain markup (".. c:function::", ":c:func:"),
which plain docutils does not know.  Register those directives and roles as
pass-through so that the rest of the page is still checked strictly: any
docutils warning (bad table, broken indentation, unknown markup) fails.

Usage: rstcheck.py FILE...   (exit 1 if any file has a warning)
"""
import sys

from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles

SPHINX_DIRECTIVES = ("c:function", "c:struct", "c:union", "c:enum",
                     "c:type", "c:macro", "c:member", "c:var")
SPHINX_ROLES = ("c:func", "c:type", "c:macro", "c:member", "c:data",
                "ref", "doc")


class AnyOptions(dict):
    """Accept every option name, with any value."""

    def __getitem__(self, key):
        return directives.unchanged

    def __contains__(self, key):
        return True


class Passthrough(Directive):
    """Keep the signature as a literal and parse the body as rst."""
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = AnyOptions()

    def run(self):
        sig = nodes.literal_block(text=" ".join(self.arguments))
        body = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, body)
        return [sig, body]


def literal_role(name, rawtext, text, lineno, inliner, options=None,
                 content=None):
    return [nodes.literal(rawtext, text)], []


def main(paths):
    for name in SPHINX_DIRECTIVES:
        directives.register_directive(name, Passthrough)
    for name in SPHINX_ROLES:
        roles.register_local_role(name, literal_role)
    failed = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            publish_doctree(text, source_path=path, settings_overrides={
                "halt_level": 2, "report_level": 2})
            print(f"docs: {path} ok")
        except Exception as e:   # docutils raises SystemMessage on halt
            print(f"docs: {path} FAIL\n{e}")
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
