"""Jinja2 set-up shared by the renderers: templates from package data, strict undefined."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2


def template_text(name: str) -> str:
    """A template from the installed package data, or from the checkout when run in place."""
    try:
        folder = resources.files("derive.templates")
    except ModuleNotFoundError:
        folder = Path(__file__).resolve().parent.parent / "templates"
    return folder.joinpath(name).read_text(encoding="utf-8")


@cache
def environment(latex: bool) -> jinja2.Environment:
    loader = jinja2.FunctionLoader(template_text)
    options = dict(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    if latex:
        # LaTeX is full of braces, so the template marks its own code with << >> and <% %>.
        options.update(
            block_start_string="<%",
            block_end_string="%>",
            variable_start_string="<<",
            variable_end_string=">>",
            comment_start_string="<#",
            comment_end_string="#>",
        )
    environment = jinja2.Environment(**options)
    environment.filters["plain"] = plain
    return environment


def plain(text: str) -> str:
    """Text safe inside a comment or docstring: anything unusual becomes '_', and so does
    the '>' of '->', which could end an HTML comment ('-->')."""
    return re.sub(r"[^A-Za-z0-9_./<>' -]|(?<=-)>", "_", text)


def render(template_name: str, context: dict, latex: bool = False) -> str:
    return environment(latex).get_template(template_name).render(**context)
