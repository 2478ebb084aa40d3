"""What every page must pass in a browser: no sideways scrolling at phone width, no serious axe-core violations.

``overflow(page)`` lists what scrolls sideways (the page itself, or any box inside it that scrolls or sticks out
past the viewport); ``axe_violations(page)`` runs the vendored axe-core (tests/support/vendor, MPL-2.0) and
returns the serious and critical violations. Both return plain lists so a failing assert shows what and where.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"

_OVERFLOW_JS = """() => {
  const limit = window.innerWidth;
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > limit + 1) { out.push(`page is ${root.scrollWidth}px wide`); }
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + Array.from(el.classList).join('.') : '');
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') { continue; }
    if (el.closest('[aria-hidden="true"], .visually-hidden, .skip-link, [data-overflow-ok]')) { continue; }
    const scrolls = ['auto', 'scroll'].includes(style.overflowX);
    if (scrolls && el.scrollWidth > el.clientWidth + 1) {
      out.push(`${name(el)} scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px)`);
      continue;
    }
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && box.right > limit + 1 && style.position !== 'fixed') {
      let clipped = false;
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        const s = getComputedStyle(up);
        if (s.overflowX !== 'visible' && up.getBoundingClientRect().right <= limit + 1) { clipped = true; break; }
      }
      if (!clipped) { out.push(`${name(el)} ends at ${Math.round(box.right)}px`); }
    }
  }
  return out.slice(0, 20);
}"""


def overflow(page: Any) -> list[str]:
    """What makes the current page scroll sideways (empty when nothing does)."""
    return page.evaluate(_OVERFLOW_JS)


def axe_violations(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the given impacts on the current page, one line per rule with where it hit."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for violation in result["violations"]:
        if violation["impact"] in impacts:
            targets = ", ".join(str(node["target"][0]) for node in violation["nodes"][:3])
            lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return lines


def post_forms(page: Any) -> list[dict[str, str]]:
    """The page's enabled POST forms that a person can submit: action and the submit button's text."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('form')).filter(f => (f.method || '').toLowerCase() === 'post')
          .map(f => ({form: f, button: f.querySelector('button:not([disabled]), input[type=submit]:not([disabled])')}))
          .filter(x => x.button && x.button.offsetParent !== null && !x.form.closest('[hidden]'))
          .map(x => ({action: x.form.getAttribute('action') || location.pathname,
                      text: (x.button.textContent || x.button.value || '').trim()}))"""
    )
