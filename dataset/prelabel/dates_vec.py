"""DATE spans and event dates for a whole frame: :func:`.dates.mentions` and
:func:`.dates.event_date` as polars column operations.

Every pattern of :mod:`.date_spec` runs once per language over the rows whose pre-check opened
its kind group, as a match test; the rows it matches go through one ``replace_all`` that brackets
each match with NUL characters: splitting on NUL leaves gaps and matches in turn, so running sums
of their lengths are the code-point offsets. Capture groups are re-read from the isolated
matches (every pattern starts on a word character and ends on a word boundary, so the groups
come out the same). Dates are resolved against ``published_at`` with date arithmetic, and a
mention that overlaps one of an earlier kind is dropped, kind by kind, as in
:func:`.dates.mentions`.

Python's ``re`` and Rust's ``regex`` agree on these patterns except around a few characters
(combining marks, other numerals, non-ASCII digits, dotless/dotted i, long s, NUL, U+001C–1F);
the rare rows holding one go through :func:`.dates.mentions` itself, with the exact pre-checks.
On all other rows a pre-check only saves work (a kind's pattern cannot match where its check
fails), so there the numeric one is replaced by a cheaper superset, and the others by the
caller's ``supersets`` (the matcher's date-word bits).
"""

from __future__ import annotations

import functools

import polars as pl

from conflictset.dataset.prelabel import date_spec as spec
from conflictset.dataset.prelabel.dates import event_date, mentions

ROW = "_row"
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


def date_spans(frame: pl.DataFrame, checks: dict[str, pl.Expr],
               supersets: dict[str, pl.Expr] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """DATE spans (``_row``, label, start, end) and values (``_row``, event_date, time_precision).

    ``frame``: ``_row``, text, _lang, published_at and the columns the checks read; ``checks``: the
    pre-check of each group of :data:`KIND_GROUPS` (rows where none holds have no date);
    ``supersets``: cheaper checks for some groups, used on the rows where the engines agree, that
    hold there wherever the group's check does.
    """
    odd = _engines_disagree(frame)
    cheap = {**checks, "numeric": pl.col("text").str.contains(_NUMERIC_SUPERSET), **(supersets or {})}
    vec_spans, vec_values = _vectorised(_open_rows(frame, cheap, ~pl.col(ROW).is_in(odd.implode())))
    py_spans, py_values = _in_python(_open_rows(frame.filter(pl.col(ROW).is_in(odd.implode())), checks))
    spans = pl.concat([vec_spans, py_spans]).sort([ROW, "start"])
    return spans, pl.concat([vec_values, py_values]).sort(ROW)


def _engines_disagree(frame: pl.DataFrame) -> pl.Series:
    text = pl.col("text")
    non_ascii = frame.select(ROW, text).filter(text.str.len_bytes() != text.str.len_chars())
    return non_ascii.filter(text.str.contains(_ENGINES_DISAGREE))[ROW]


def _open_rows(frame: pl.DataFrame, checks: dict[str, pl.Expr], keep: pl.Expr = pl.lit(True)) -> pl.DataFrame:
    """The rows ``keep`` selects where some check holds, with one :func:`flag` column per group."""
    flags = [checks[g].alias(flag(g)) for g in spec.KIND_GROUPS]
    return (frame.select(ROW, "text", "_lang", "published_at", *flags)
            .filter(pl.any_horizontal([flag(g) for g in spec.KIND_GROUPS]) & keep))


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
        for group, kinds in spec.KIND_GROUPS.items():
            opened = rows.filter(flag(group))
            regexes = spec.date_patterns(lang).regexes
            kinds = [k for k in kinds if k in regexes]
            if not (opened.height and kinds):
                continue
            # splitting the text around matches costs far more than finding none: only rows
            # with a match go through it
            found = opened.select(pl.col("text").str.contains(regexes[k].pattern).alias(k) for k in kinds)
            parts += [_matches(opened.filter(found[k]).lazy(), *_kind_exprs(lang, k)) for k in kinds if found[k].any()]
    return pl.concat([pl.LazyFrame(schema=_HIT_SCHEMA), *parts]).collect(engine="in-memory")


def _matches(rows: pl.LazyFrame, pieces: pl.Expr, columns: list[pl.Expr]) -> pl.LazyFrame:
    """``columns`` for each of the non-overlapping matches left to right (as ``re.finditer`` gives
    them), from ``match``, its code-point ``start``/``end`` and the row's ``_row``/published_at."""
    count = pl.col("piece").list.len()
    length = pl.col("piece").str.len_chars().cast(pl.Int64)
    at = pl.col("_at")
    return (rows.select(ROW, "published_at", pieces.alias("piece"))
            .with_columns((count.cum_sum() - count).alias("_first"))  # where each row's pieces begin
            .explode("piece")
            .with_columns(pl.int_range(pl.len()).alias("_i"), (length.cum_sum() - length).alias("_at"))
            .with_columns(at.gather(pl.col("_first")).alias("_base"))  # the offset of the row's first piece
            .filter((pl.col("_i") - pl.col("_first")) % 2 == 1)  # gap, match, gap, …
            .select(ROW, "published_at", pl.col("piece").alias("match"),
                    (at - pl.col("_base")).alias("start"), (at - pl.col("_base") + length).alias("end"))
            .select(columns))


@functools.cache
def _kind_exprs(lang: str, kind: str) -> tuple[pl.Expr, list[pl.Expr]]:
    """For one kind of one language: the text split into gaps and matches, and the
    :data:`_HIT_SCHEMA` columns of a match (capture groups as numbers: y/m/d, or n units back)."""
    p = spec.date_patterns(lang)
    regex = p.regexes[kind]
    pieces = pl.col("text").str.replace_all(regex.pattern, f"{_MARK}${{0}}{_MARK}").str.split(_MARK)
    match = pl.col("match")
    key = match.str.to_lowercase()
    # anchored: the isolated match is matched from its first character
    groups = match.str.extract_groups(f"^(?:{regex.pattern})")
    group = lambda name: groups.struct.field(name)  # noqa: E731 (one regex pass: polars shares the subexpression)
    cols = {}
    if kind in spec.KIND_GROUPS["relative"]:
        table = p.relative[kind]
        lookups = [_lookup(key, table)]
        if kind == "rel_day":  # rel_day alone also looks the word up as written
            lookups.append(_lookup(match, table))
        cols["n"] = pl.coalesce(*lookups, pl.lit(0))
        cols["weekend"] = key.str.contains(spec.WEEKEND, literal=True)
    elif kind == "weekday":
        cols["n"] = _lookup(group("wd"), p.weekdays)
    else:
        cols = {name: group(name) for name in ("y", "m", "d") if name in regex.groupindex}
        if "mon" in regex.groupindex:
            cols["m"] = _lookup(group("mon"), p.months)
    cols["kind"] = pl.lit(spec.KINDS.index(kind))
    cols["prec"] = pl.lit(spec.PRECISION.get(kind, spec.DAY_PRECISION))
    passed = (ROW, "published_at", "start", "end")
    return pieces, [cols.get(c, pl.col(c) if c in passed else pl.lit(None)).cast(t).alias(c)
                    for c, t in _HIT_SCHEMA.items()]


def _lookup(expr: pl.Expr, table: dict) -> pl.Expr:
    return expr.replace_strict(table, default=None, return_dtype=pl.Int32)


def _resolve(hits: pl.DataFrame) -> pl.DataFrame:
    """Add ``date`` exactly as :func:`.dates.mentions` computes it for each kind."""
    kind = pl.col("kind")
    is_kind = lambda *names: kind.is_in([spec.KINDS.index(k) for k in names])  # noqa: E731
    pub, n = pl.col("published_at"), pl.col("n")
    weekday = pub.dt.weekday().cast(pl.Int32) - 1  # Monday = 0, as datetime.date.weekday()
    months_back = pub.dt.year() * 12 + pub.dt.month() - 1 - n
    this_year = _safe_date(pub.dt.year(), pl.col("m"), pl.col("d"))
    # a day and month without a year: the publication year, or the year before when that date
    # would lie after publication ("December 13" read in January)
    guessed_year = pl.when(this_year > pub).then(pub.dt.year() - 1).otherwise(pub.dt.year())
    days_back = (pl.when(is_kind("weekday")).then((weekday - n + 7) % 7)
                 .when(is_kind("rel_day")).then(n)
                 .when(is_kind("rel_week") & pl.col("weekend")).then((weekday - spec.WEEKEND_DAY + 7) % 7 + 7 * n)
                 .when(is_kind("rel_week")).then(weekday + 7 * n - spec.MIDWEEK))
    hits = hits.with_columns(
        pl.when(is_kind("rel_month")).then(months_back // 12)
        .when(is_kind("d_month_y", "month_d_y")).then(pl.coalesce("y", guessed_year))
        .otherwise("y").alias("y"),
        pl.when(is_kind("rel_month")).then(months_back % 12 + 1).otherwise("m").alias("m"),
        pl.when(is_kind("month_y", "rel_month")).then(spec.MID_MONTH).otherwise("d").alias("d"),
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
    shared = pl.col(ROW).is_duplicated()  # only rows with several mentions can clash
    kept = hits.filter(~shared)
    for _, part in sorted(hits.filter(shared).partition_by("kind", as_dict=True).items()):
        earlier = kept.select(ROW, pl.col("start").alias("_ks"), pl.col("end").alias("_ke"))
        clash = (part.join(earlier, on=ROW)
                 .filter((pl.col("start") < pl.col("_ke")) & (pl.col("_ks") < pl.col("end")))
                 .select(ROW, "start"))
        kept = pl.concat([kept, part.join(clash, on=[ROW, "start"], how="anti")])
    return kept
