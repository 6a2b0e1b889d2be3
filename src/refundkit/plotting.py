"""matplotlib with Chinese labels: pick a CJK font the machine has, once.

    from refundkit.plotting import use_cjk_font
    use_cjk_font()      # before drawing; returns the family used, or None

Without a CJK font matplotlib draws Chinese as empty boxes. The kit's CI
installs Debian's fonts-noto-cjk (`.ci/run`); WenQuanYi and Source Han work
too. Fonts installed after matplotlib built its cache are found by scanning
the system font folders and registering the files directly.
"""
from __future__ import annotations

import warnings

# Preferred families, Simplified Chinese first.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "SimHei", "Microsoft YaHei",
    "PingFang SC", "Heiti SC", "AR PL UMing CN",
)
FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy-zenhei", "wqy-microhei", "droidsansfallback",
              "simhei", "msyh", "pingfang", "uming")

_chosen: str | None = None


def _known() -> set[str]:
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist}


def find_cjk_font() -> str | None:
    """The first preferred CJK family matplotlib can use, registering system files if needed."""
    from matplotlib import font_manager

    names = _known()
    for fam in CJK_FAMILIES:
        if fam in names:
            return fam
    for path in font_manager.findSystemFonts():
        if any(h in path.lower().replace("_", "").replace(" ", "") for h in FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except Exception:  # noqa: BLE001 - an unreadable font file is skipped, others are tried
                continue
    names = _known()
    return next((fam for fam in CJK_FAMILIES if fam in names), None)


def use_cjk_font() -> str | None:
    """Make matplotlib draw Chinese; returns the family, or None (with a warning) when none is installed."""
    global _chosen
    import matplotlib

    if _chosen is None:
        _chosen = find_cjk_font()
        if _chosen is None:
            warnings.warn("no CJK font found: Chinese labels will show as boxes "
                          "(install fonts-noto-cjk: apt-get install fonts-noto-cjk)", stacklevel=2)
            return None
    fams = [f for f in matplotlib.rcParams["font.sans-serif"] if f != _chosen]
    matplotlib.rcParams["font.sans-serif"] = [_chosen, *fams]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK fonts lack U+2212
    return _chosen
