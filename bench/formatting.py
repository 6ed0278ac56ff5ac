"""How the report writes numbers and tables: figures to a sensible precision, ratios, fractions as 1/N,
and Markdown table rows. A missing figure is written as an em dash everywhere."""

MISSING = "—"


def format_number(value, digits=2, unit=""):
    """A figure with `digits` decimals below 10, one decimal below 100, none (with thousands separators)
    from 100 on; text is passed through."""
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.{digits}f}"
    return text + unit


def ratio_text(value, reference, style="/", digits=1):
    """value / reference as "N ×". The "/" style drops the decimals from 10 on (for large ratios such
    as an anchor's wall time over dltrain's); the "x" style keeps `digits` decimals."""
    if value is None or not reference:
        return MISSING
    ratio = value / reference
    if style == "x":
        return f"{ratio:.{digits}f} ×"
    return f"{ratio:,.0f} ×" if ratio >= 10 else f"{ratio:.{digits}f} ×"


def times_smaller(ours, theirs):
    """N such that `ours` is 1/N of `theirs` (dltrain's time or memory against another's), or None."""
    if not ours or not theirs:
        return None
    return theirs / ours


def one_over(times):
    """N written as the fraction 1/N."""
    return MISSING if times is None else (f"1/{times:,.0f}" if times >= 10 else f"1/{times:.1f}")


def table_row(*cells):
    """A Markdown table row; an empty cell is written as a single space."""
    return "|" + "".join(f" {cell} |" if cell != "" else " |" for cell in cells)


def table_head(*titles):
    return [table_row(*titles), "|" + "---|" * len(titles)]
