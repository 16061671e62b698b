"""DATE spans and event dates for a whole frame: :func:`.dates.mentions` and
:func:`.dates.event_date` as polars column operations.

Every pattern of :mod:`.dates` runs once per language over the rows whose pre-check opened its
kind group. Match positions come from one ``replace_all`` that brackets each match with NUL
characters: splitting on NUL leaves gaps and matches in turn, so running sums of their lengths are
the code-point offsets. Capture groups are re-read from the isolated matches (every pattern starts
on a word character and ends on a word boundary, so the groups come out the same). Dates are
resolved against ``published_at`` with date arithmetic, and a mention that overlaps one of an
earlier kind is dropped, kind by kind, as in :func:`.dates.mentions`.

Python's ``re`` and Rust's ``regex`` agree on these patterns except around a few characters
(combining marks, other numerals, non-ASCII digits, dotless/dotted i, long s, NUL, U+001C–1F);
the rare rows holding one go through :func:`.dates.mentions` itself, with the exact pre-checks.
On all other rows a pre-check only saves work (a kind's pattern cannot match where its check
fails), so the numeric one is replaced there by a cheaper superset.
"""

from __future__ import annotations

import polars as pl

from dataset.prelabel.dates import KIND_GROUPS, _patterns, event_date, mentions

ROW = "_row"
KINDS = tuple(k for kinds in KIND_GROUPS.values() for k in kinds)  # the order mentions() tries them
GROUP_OF = {k: g for g, kinds in KIND_GROUPS.items() for k in kinds}
PRECISION = {"month_y": 3, "rel_week": 2, "rel_month": 3}  # the other kinds give day precision
#: characters on which Python's \w, \s, \d, \b or (?i) may differ from Rust's (see module doc)
_ENGINES_DISAGREE = (r"[\x00\x1c-\x1f\u0130\u0131\u017f]|[[^\x00-\x7f]&&[\p{M}\p{No}\p{Nd}\p{Pc}\u200c\u200d"
                     r"[\p{Alphabetic}&&[^\p{L}\p{Nl}]]]]")
#: superset of the numeric date patterns where digits are ASCII (non-ASCII digits are "disagree" rows)
_NUMERIC_SUPERSET = r"[0-9][-/.][0-9]"
_MARK = "\x00"
SPAN_SCHEMA = {ROW: pl.UInt32, "label": pl.String, "start": pl.Int64, "end": pl.Int64}
VALUE_SCHEMA = {ROW: pl.UInt32, "event_date": pl.Date, "time_precision": pl.Int8}
_HIT_SCHEMA = {ROW: pl.UInt32, "published_at": pl.Date, "kind": pl.Int8, "start": pl.Int64, "end": pl.Int64,
               "y": pl.Int32, "m": pl.Int32, "d": pl.Int32, "n": pl.Int32, "weekend": pl.Boolean, "prec": pl.Int8}


def flag(group: str) -> str:
    """Name of the pre-check column that opens the kinds of ``group``."""
    return f"_d_{group}"


def date_spans(frame: pl.DataFrame, checks: dict[str, pl.Expr]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """DATE spans (``_row``, label, start, end) and values (``_row``, event_date, time_precision).

    ``frame``: ``_row``, text, _lang, published_at and the columns ``checks`` read; ``checks``: the
    pre-check of each group of :data:`KIND_GROUPS` (rows where none holds have no date).
    """
    odd = _engines_disagree(frame)
    cheap = {**checks, "numeric": pl.col("text").str.contains(_NUMERIC_SUPERSET)}
    vec_spans, vec_values = _vectorised(_open_rows(frame.filter(~pl.col(ROW).is_in(odd.implode())), cheap))
    py_spans, py_values = _in_python(_open_rows(frame.filter(pl.col(ROW).is_in(odd.implode())), checks))
    spans = pl.concat([vec_spans, py_spans]).sort([ROW, "start"])
    return spans, pl.concat([vec_values, py_values]).sort(ROW)


def _engines_disagree(frame: pl.DataFrame) -> pl.Series:
    non_ascii = frame.filter(pl.col("text").str.len_bytes() != pl.col("text").str.len_chars())
    return non_ascii.filter(pl.col("text").str.contains(_ENGINES_DISAGREE))[ROW]


def _open_rows(frame: pl.DataFrame, checks: dict[str, pl.Expr]) -> pl.DataFrame:
    flags = [checks[g].alias(flag(g)) for g in KIND_GROUPS]
    return (frame.select(ROW, "text", "_lang", "published_at", *flags)
            .filter(pl.any_horizontal([flag(g) for g in KIND_GROUPS])))


def _in_python(need: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    span_rows, value_rows = [], []
    for row, text, lang, pub, *date_flags in need.iter_rows():
        found = mentions(text, lang, pub, tuple(date_flags))
        span_rows += [(row, "DATE", m.start, m.end) for m in found]
        date, prec = event_date(found)
        if date is not None:
            value_rows.append((row, date, prec))
    return (pl.DataFrame(span_rows, schema=SPAN_SCHEMA, orient="row"),
            pl.DataFrame(value_rows, schema=VALUE_SCHEMA, orient="row"))


def _vectorised(need: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    found = _keep_first_of_overlaps(_resolve(_hits(need)))
    spans = found.select(ROW, pl.lit("DATE").alias("label"), "start", "end")
    values = (found.filter(pl.col("date").is_not_null())
              .sort([ROW, "prec", "start"])
              .unique(ROW, keep="first", maintain_order=True)
              .select(ROW, pl.col("date").alias("event_date"), pl.col("prec").alias("time_precision")))
    return spans, values


def _hits(need: pl.DataFrame) -> pl.DataFrame:
    """Every match of every open kind, with its numbers read (y/m/d, or n units back)."""
    parts = []
    for (lang,), rows in need.partition_by("_lang", as_dict=True).items():
        patterns = dict(_patterns(lang)[0])
        for kind in KINDS:
            opened = rows.filter(flag(GROUP_OF[kind]))
            if kind in patterns and opened.height:
                parts.append(_numbers(_matches(opened, patterns[kind].pattern), kind, lang))
    empty = pl.DataFrame(schema=_HIT_SCHEMA)
    hits = pl.concat([empty, *parts], how="diagonal_relaxed")
    return hits.select([pl.col(c).cast(t) for c, t in _HIT_SCHEMA.items()])


def _matches(rows: pl.DataFrame, pattern: str) -> pl.DataFrame:
    """``_row``, published_at, ``match`` and its code-point start/end, for the non-overlapping
    matches left to right (as ``re.finditer`` gives them)."""
    pieces = pl.col("text").str.replace_all(pattern, f"{_MARK}${{0}}{_MARK}").str.split(_MARK)
    count, chars = pl.col("piece").list.len(), pl.col("_chars").cast(pl.Int64)
    length = pl.col("piece").str.len_chars().cast(pl.Int64)
    return (rows.select(ROW, "published_at", pieces.alias("piece"), pl.col("text").str.len_chars().alias("_chars"))
            # where each row's pieces begin, counted in pieces and in characters over all rows
            .with_columns((count.cum_sum() - count).alias("_first"), (chars.cum_sum() - chars).alias("_base"))
            .explode("piece")
            .with_columns(pl.int_range(pl.len()).alias("_i"), (length.cum_sum() - length).alias("_at"))
            .filter((pl.col("_i") - pl.col("_first")) % 2 == 1)  # gap, match, gap, …
            .select(ROW, "published_at", pl.col("piece").alias("match"),
                    (pl.col("_at") - pl.col("_base")).alias("start"),
                    (pl.col("_at") - pl.col("_base") + length).alias("end")))


def _numbers(found: pl.DataFrame, kind: str, lang: str) -> pl.DataFrame:
    """The capture groups of ``kind`` as numbers, named y/m/d for dates and n for units back."""
    _, months, weekdays, rel_d, rel_w, rel_m, _ = _patterns(lang)
    key = pl.col("match").str.to_lowercase()
    if kind in ("rel_day", "rel_week", "rel_month"):
        table = {"rel_day": rel_d, "rel_week": rel_w, "rel_month": rel_m}[kind]
        lookups = [_lookup(key, table)]
        if kind == "rel_day":  # rel_day alone also looks the word up as written
            lookups.append(_lookup(pl.col("match"), table))
        found = found.with_columns(pl.coalesce(*lookups, pl.lit(0)).alias("n"),
                                   key.str.contains("weekend", literal=True).alias("weekend"))
    else:
        # anchored: the isolated match is matched from its first character
        groups = pl.col("match").str.extract_groups(f"^(?:{pattern_of(kind, lang)})")
        found = found.with_columns(groups.alias("_g")).unnest("_g")
        names = found.columns
        if "mon" in names:
            found = found.with_columns(_lookup(pl.col("mon"), months).alias("m"))
        if "wd" in names:
            found = found.with_columns(_lookup(pl.col("wd"), weekdays).alias("n"))
        found = found.with_columns([pl.col(c).cast(pl.Int32) for c in ("y", "m", "d") if c in names])
    return found.with_columns(pl.lit(KINDS.index(kind), dtype=pl.Int8).alias("kind"),
                              pl.lit(PRECISION.get(kind, 1), dtype=pl.Int8).alias("prec"))


def pattern_of(kind: str, lang: str) -> str:
    return dict(_patterns(lang)[0])[kind].pattern


def _lookup(expr: pl.Expr, table: dict) -> pl.Expr:
    return expr.replace_strict(table, default=None, return_dtype=pl.Int32)


def _resolve(hits: pl.DataFrame) -> pl.DataFrame:
    """Add ``date`` exactly as :func:`.dates.mentions` computes it for each kind."""
    kind = pl.col("kind")
    is_kind = lambda *names: kind.is_in([KINDS.index(k) for k in names])  # noqa: E731
    pub, n = pl.col("published_at"), pl.col("n")
    weekday = pub.dt.weekday().cast(pl.Int32) - 1  # Monday = 0, as datetime.date.weekday()
    months_back = pub.dt.year() * 12 + pub.dt.month() - 1 - n
    this_year = _safe_date(pub.dt.year(), pl.col("m"), pl.col("d"))
    # a day and month without a year: the publication year, or the year before when that date
    # would lie after publication ("December 13" read in January)
    guessed_year = pl.when(this_year > pub).then(pub.dt.year() - 1).otherwise(pub.dt.year())
    days_back = (pl.when(is_kind("weekday")).then((weekday - n + 7) % 7)
                 .when(is_kind("rel_day")).then(n)
                 .when(is_kind("rel_week") & pl.col("weekend")).then((weekday + 2) % 7 + 7 * n)  # its Saturday
                 .when(is_kind("rel_week")).then(weekday + 7 * n - 2))  # its Wednesday
    hits = hits.with_columns(
        pl.when(is_kind("rel_month")).then(months_back // 12)
        .when(is_kind("d_month_y", "month_d_y")).then(pl.coalesce("y", guessed_year))
        .otherwise("y").alias("y"),
        pl.when(is_kind("rel_month")).then(months_back % 12 + 1).otherwise("m").alias("m"),
        pl.when(is_kind("month_y", "rel_month")).then(15).otherwise("d").alias("d"),
        days_back.alias("_back"),
    )
    return hits.with_columns(
        pl.when(pl.col("_back").is_not_null()).then(pub - pl.duration(days=pl.col("_back")))
        .otherwise(_safe_date(pl.col("y"), pl.col("m"), pl.col("d"))).alias("date"))


def _safe_date(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """The date, or null where ``datetime.date`` would refuse it (year 1–9999, real days only)."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_len = (pl.when(month == 2).then(28 + leap.cast(pl.Int32))
                 .otherwise(30 + (month + (month > 7).cast(pl.Int32)) % 2))
    valid = year.is_between(1, 9999) & month.is_between(1, 12) & day.is_between(1, month_len)
    # pl.date raises on impossible parts, so they are replaced before it sees them
    return pl.when(valid).then(pl.date(pl.when(valid).then(year).otherwise(2000),
                                       pl.when(valid).then(month).otherwise(1),
                                       pl.when(valid).then(day).otherwise(1)))


def _keep_first_of_overlaps(hits: pl.DataFrame) -> pl.DataFrame:
    """Drop a mention that overlaps one kept from an earlier kind (same-kind matches never overlap)."""
    kept = None
    for _, part in sorted(hits.partition_by("kind", as_dict=True).items()):
        if kept is None:
            kept = part
            continue
        earlier = kept.select(ROW, pl.col("start").alias("_ks"), pl.col("end").alias("_ke"))
        clash = (part.join(earlier, on=ROW)
                 .filter((pl.col("start") < pl.col("_ke")) & (pl.col("_ks") < pl.col("end")))
                 .select(ROW, "start"))
        kept = pl.concat([kept, part.join(clash, on=[ROW, "start"], how="anti")])
    return hits if kept is None else kept
