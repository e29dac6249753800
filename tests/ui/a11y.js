// Accessibility checks evaluated by tests/ui/test_browser.py in headless Chromium, as window.a11y:
// texts(): WCAG 2.x contrast of every visible piece of text against what is painted behind it.
// focused(): the focused element and its focus indicator (an outline of 2px or more) with the
// contrast of that outline against the background around it (WCAG 1.4.11 asks 3:1).
// Text colour is `color` (HTML) or `fill` (SVG text); the background is the stack of ancestors'
// background colours, composited (a translucent layer over the next) down to the first opaque one.
// A large text (24px, or 18.66px bold) needs 3:1, any other 4.5:1 (WCAG 1.4.3).
window.a11y = (() => {
  const rgba = (text) => {
    const m = /rgba?\(([^)]+)\)/.exec(text || "");
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const colour = rgba(getComputedStyle(e).backgroundColor);
      if (colour && colour[3] > 0) {
        layers.push(colour);
        if (colour[3] >= 1) break;
      }
    }
    const canvas = matchMedia("(prefers-color-scheme: dark)").matches ? [0, 0, 0, 1] : [255, 255, 255, 1];
    return layers.reverse().reduce((below, layer) => over(layer, below), canvas);
  };
  const visible = (e) => {
    const style = getComputedStyle(e);
    if (style.visibility !== "visible" || Number(style.opacity) === 0) return false;
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0 && !!e.getClientRects().length;
  };
  const texts = () => {
    const failures = [];
    let checked = 0;
    for (const e of document.body.querySelectorAll("*")) {
      const text = [...e.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join("").trim();
      if (!text || !visible(e)) continue;
      const style = getComputedStyle(e);
      const svg = e instanceof SVGElement;
      const foreground = rgba(svg ? style.fill : style.color);
      if (!foreground) continue;
      const behind = background(svg ? e.ownerSVGElement || e : e);
      const colour = over(foreground, behind);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const needed = large ? 3 : 4.5;
      const found = ratio(colour, behind);
      checked += 1;
      if (found < needed) {
        failures.push({ text: text.slice(0, 40), tag: e.tagName.toLowerCase(), cls: String(e.className.baseVal ?? e.className),
                        color: style.color, fill: svg ? style.fill : null, background: behind.map(Math.round).join(","),
                        ratio: Math.round(found * 100) / 100, needed });
      }
    }
    return { checked, failures };
  };
  const focused = () => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const style = getComputedStyle(e);
    const width = style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth);
    const outline = rgba(style.outlineColor);
    const around = background(e.parentElement || e);
    return { tag: e.tagName.toLowerCase(), label: (e.textContent || e.id || e.name || "").trim().slice(0, 30),
             width, ratio: outline && width ? Math.round(ratio(over(outline, around), around) * 100) / 100 : 0,
             shown: visible(e) };
  };
  return { texts, focused };
})();
