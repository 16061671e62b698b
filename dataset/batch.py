"""One batch of ingested records → the build's four tables (pure frame → frame, no I/O).

:func:`process_batch` is the unit of work every engine runs: the local engine's worker threads
and, on a cluster, each task. It chains the stages ``clean → segment → prelabel`` on one batch
and validates what it produces (the pre-labelled sentences are validated by the writer, off the
worker). Every record comes out as an article or as a quarantine row: counts reconcile per batch.
"""

from __future__ import annotations

import time
from collections import Counter

import polars as pl

from conflictset.dataset.clean import clean
from conflictset.dataset.prelabel import prelabel as run_prelabel
from conflictset.dataset.segment import segment_articles
from conflictset.dataset.stages import run_stage, split_rejects
from conflictset.schemas.dtypes import columns, dtypes
from conflictset.schemas.pipeline import (
    QUARANTINE_SCHEMA,
    SENTENCE_ROLES,
    Article,
    BuiltArticle,
    Quarantine,
    Segment,
    Sentence,
)
from conflictset.schemas.prelabel import PrelabelledSentence
from conflictset.schemas.reasons import Reason
from conflictset.schemas.validation import validate

#: the build's tables, in the order they are written
TABLES = ("articles", "segments", "sentences", "quarantine")
#: article fields every sentence carries (reviewers see them beside the sentence)
METADATA = ("title", "source", "url", "published_at")


def sentence_model(prelabel: bool):
    return PrelabelledSentence if prelabel else Sentence


def timed_stage(timings: Counter, name: str, fn, *args, **kwargs):
    """Run a stage (errors name it) and add its wall time to ``timings``."""
    started = time.perf_counter()
    try:
        return run_stage(name, fn, *args, **kwargs)
    finally:
        timings[name] += time.perf_counter() - started


def timed_validate(timings: Counter, frame: pl.DataFrame, model, table: str, stage: str) -> pl.DataFrame:
    started = time.perf_counter()
    try:
        if model is Quarantine and frame.height == 0 and frame.schema == pl.Schema(QUARANTINE_SCHEMA):
            return frame  # nothing but the schema to check, and it is the fixed one
        return validate(frame, model, table=table, stage=stage)
    finally:
        timings["validate"] += time.perf_counter() - started


def no_content(articles: pl.DataFrame, ids: pl.Series, stage: str, segments: pl.DataFrame) -> pl.DataFrame:
    """Quarantine rows for articles that left nothing to annotate (roles found are named)."""
    wanted = pl.col("article_id").is_in(ids.implode())
    # only the few articles named: grouping every segment of the batch cost ~20 ms per call
    found = (segments.filter(wanted).group_by("article_id")
             .agg(pl.col("role").unique().sort().str.join(", ").alias("roles")))
    bad = articles.filter(wanted).join(found, on="article_id", how="left", maintain_order="left")
    return bad.select(
        pl.lit(stage).alias("stage"),
        pl.col("source_file"),
        pl.col("source_row").cast(pl.Int64),
        pl.lit("text").alias("field"),
        pl.lit(Reason.NO_CONTENT_AFTER_CLEANING.value).alias("reason"),
        pl.format("{} row {}: article {} has no headline, body or caption text left after cleaning "
                  "(segments found: {}); kept in segments.parquet — fix: check the input is an article",
                  "source_file", "source_row", "article_id",
                  pl.col("roles").fill_null("none")).alias("message"),
        pl.col("text").alias("raw"),
    )


def with_context(sentences: pl.DataFrame, articles: pl.DataFrame) -> pl.DataFrame:
    """Join article metadata and the neighbouring sentences of the same article."""
    same_prev = pl.col("article_id").shift(1) == pl.col("article_id")
    same_next = pl.col("article_id").shift(-1) == pl.col("article_id")
    return sentences.join(articles.select("article_id", *METADATA), on="article_id", how="left",
                          maintain_order="left").with_columns(
        pl.when(same_prev).then(pl.col("text").shift(1)).alias("prev_text"),
        pl.when(same_next).then(pl.col("text").shift(-1)).alias("next_text"),
    ).select(columns(Sentence))


def prepare_batch(batch: pl.DataFrame, timings: Counter) -> dict[str, pl.DataFrame]:
    """ingest → clean → segment of one batch: articles, segments and quarantine validated,
    sentences (with their context) ready for pre-labelling."""
    articles, quarantine = split_rejects(batch, "ingest")
    # quarantine rows come out in input order (not stage by stage), so the quarantine table does
    # not depend on where batches or an engine's shards begin and end
    good = batch.get_column("reason").is_null() if "reason" in batch.columns else pl.Series([True] * batch.height)
    article_at = good.arg_true()
    positions = [(~good).arg_true()]
    articles = timed_validate(timings, articles, Article, "articles", "ingest")
    segments = timed_stage(timings, "clean", clean, articles)
    segments = timed_validate(timings, segments, Segment, "segments", "clean")

    # one column filtered, not whole frames (their texts would be copied)
    kept_ids = segments.select(pl.col("article_id").filter(pl.col("role").is_in(SENTENCE_ROLES)).unique())
    empty_ids = articles.select(pl.col("article_id").filter(
        ~pl.col("article_id").is_in(kept_ids.to_series().implode()))).to_series()
    parts = [quarantine]
    if empty_ids.len():
        parts.append(no_content(articles, empty_ids, "clean", segments))
        positions.append(article_at.filter(articles.get_column("article_id").is_in(empty_ids.implode())))

    texts, sentences = timed_stage(timings, "segment", segment_articles, segments,
                                   articles.select("article_id", "language"))
    no_sentence = texts.filter(pl.col("n_sentences") == 0).get_column("article_id")
    if no_sentence.len():  # kept segments that were only whitespace
        parts.append(no_content(articles, no_sentence, "segment", segments))
        positions.append(article_at.filter(articles.get_column("article_id").is_in(no_sentence.implode())))
        texts = texts.filter(pl.col("n_sentences") > 0)

    n_segments = segments.group_by("article_id").agg(pl.len().cast(pl.Int64).alias("n_segments"))
    built = (articles.drop("language")
             .join(texts, on="article_id", how="inner", maintain_order="left")
             .join(n_segments, on="article_id", how="left", maintain_order="left")
             .select(columns(BuiltArticle)))

    sentences = with_context(sentences, built)
    quarantine = pl.concat([p.select(list(QUARANTINE_SCHEMA)).cast(QUARANTINE_SCHEMA) for p in parts])
    if len(parts) > 1:
        order = pl.concat([p.cast(pl.UInt32) for p in positions]).arg_sort()  # one row per record: no ties
        quarantine = quarantine[order]
    quarantine = timed_validate(timings, quarantine, Quarantine, "quarantine", "ingest")
    return {"articles": built, "segments": segments, "sentences": sentences, "quarantine": quarantine}


def process_batch(batch: pl.DataFrame, prelabel: bool) -> tuple[dict[str, pl.DataFrame], Counter]:
    """clean → segment → prelabel of one batch, with its own stage timings (callers on several
    threads never share a counter)."""
    timings: Counter = Counter()
    tables = prepare_batch(batch, timings)
    if prelabel:
        tables["sentences"] = timed_stage(timings, "prelabel", run_prelabel, tables["sentences"])
    return tables, timings


def table_schemas(sentences: pl.DataFrame | None, prelabel: bool) -> dict[str, dict[str, pl.DataType]]:
    """The dtypes each table is written with; sentences: the contract's columns first, then
    anything a stage added."""
    sentence = dict(dtypes(sentence_model(prelabel)))
    if sentences is not None:
        for name, dtype in sentences.schema.items():
            if name not in sentence and dtype != pl.Null:
                sentence[name] = dtype
    return {"articles": dtypes(BuiltArticle), "segments": dtypes(Segment), "sentences": sentence,
            "quarantine": QUARANTINE_SCHEMA}
