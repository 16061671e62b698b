"""``croissant.json``: MLCommons Croissant 1.0 metadata with the Responsible-AI (RAI) fields.

Dataset-level fields come from the dataset metadata: ``name``, ``creator`` (people with ORCID and
affiliation, organisations), ``url``, ``license`` (SPDX URL), ``datePublished`` (the release date),
``version`` and ``citeAs`` (the BibTeX entry people are asked to cite). File objects carry the same
sha256 as the manifest; record sets describe every column of the three Parquet tables with types
derived from the frames themselves.
"""

from __future__ import annotations

import polars as pl

from conflictset import __version__
from conflictset.export import citation, licences
from conflictset.export.metadata import Author, DatasetMetadata
from conflictset.export.text_policy import DESCRIPTIONS
from conflictset.export.wording import count, verb
from conflictset.schemas import taxonomy as tx

CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
DEFAULT_DESCRIPTION = ("News sentences labelled with ACLED-style conflict event types and sub-event types, with "
                       "ACLED-style event rows, review annotations and provenance of every final label.")


def data_type(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "sc:Boolean"
    if dtype.is_integer():
        return "sc:Integer"
    if dtype.is_float():
        return "sc:Float"
    if dtype == pl.Date:
        return "sc:Date"
    return "sc:Text"


def _fields(table: str, frame: pl.DataFrame) -> list[dict]:
    fields = []
    for name, dtype in frame.schema.items():
        fid = f"{table}/{name}"
        source = {"fileObject": {"@id": f"{table}-file"}, "extract": {"column": name}}
        if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
            fields.append({
                "@type": "cr:Field", "@id": fid, "name": fid, "repeated": True, "dataType": "sc:Text",
                "description": f"list of {', '.join(f.name for f in dtype.inner.fields)} records",
                "source": source,
                "subField": [{
                    "@type": "cr:Field", "@id": f"{fid}/{f.name}", "name": f"{fid}/{f.name}",
                    "dataType": data_type(f.dtype),
                    "source": {**source, "extract": {"column": name}, "transform": {"jsonPath": f.name}},
                } for f in dtype.inner.fields],
            })
            continue
        field = {"@type": "cr:Field", "@id": fid, "name": fid, "source": source}
        if isinstance(dtype, pl.List):
            field.update(repeated=True, dataType=data_type(dtype.inner))
        else:
            field["dataType"] = data_type(dtype)
        fields.append(field)
    return fields


def creator(a: Author) -> dict:
    """A schema.org Person (with ORCID and affiliation) or Organization."""
    if a.name:
        out = {"@type": "sc:Organization", "name": a.name}
    else:
        out = {"@type": "sc:Person", "name": a.display, "familyName": a.family_names}
        if a.given_names:
            out["givenName"] = a.given_names
        if a.affiliation:
            out["affiliation"] = {"@type": "sc:Organization", "name": a.affiliation}
    if a.orcid:
        out.update(url=a.orcid, identifier=a.orcid)
    return out


def render(*, version: str, license: str, tables, agreement, acceptance, counts: dict, files: dict,
           meta: DatasetMetadata, released: str, text_policy: str) -> dict:
    frames = {"events": tables.events, "sentences": tables.sentences, "annotations": tables.annotations}
    n_pairable = agreement.items_pairable
    per_item = (counts["annotations"] / agreement.items_reviewed) if agreement.items_reviewed else 0.0
    never = counts.get("label_source_prelabel", 0)
    optional = {"url": meta.url, "identifier": f"https://doi.org/{meta.doi}" if meta.doi else None,
                "funder": [{"@type": "sc:Organization", "name": f.funder} for f in meta.funding] or None}
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": meta.name,
        "alternateName": meta.title,
        "description": meta.description or DEFAULT_DESCRIPTION,
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "version": version,
        "datePublished": released,
        "license": licences.spdx_url(license),
        "creator": [creator(a) for a in meta.authors],
        "citeAs": citation.preferred_bibtex(meta, version, released),
        "keywords": list(meta.keywords) or ["conflict events", "ACLED", "event extraction", "news"],
        **{k: v for k, v in optional.items() if v},
        "inLanguage": sorted(tables.sentences["language"].drop_nulls().unique().to_list()),
        "distribution": [{
            "@type": "cr:FileObject", "@id": f"{name}-file", "name": f"{name}-file",
            "contentUrl": f"data/{name}.parquet", "encodingFormat": "application/x-parquet",
            "sha256": files[f"data/{name}.parquet"]["sha256"],
        } for name in frames],
        "recordSet": [{
            "@type": "cr:RecordSet", "@id": name, "name": name, "field": _fields(name, frame),
        } for name, frame in frames.items()],
        "rai:annotationsPerItem": (
            f"{per_item:.2f} annotations per reviewed sentence on average; {count(n_pairable, 'sentence')} "
            f"{verb(n_pairable, 'has', 'have')} two or more annotators and {agreement.items_excluded} "
            f"{verb(agreement.items_excluded, 'has', 'have')} one; "
            f"{count(never, 'sentence')} "
            f"{verb(never, 'was', 'were')} never reviewed (pre-label only)."),
        "rai:dataAnnotationProtocol": [
            "Rule-based pre-labels are shown as predictions in Label Studio; reviewers choose an ACLED "
            f"event type / sub-event type ({len(tx.SUB_EVENT_TYPES)} sub-event types) or 'No event' and "
            "correct ACTOR, LOCATION, FATALITIES and DATE spans.",
            "Adjudication: unanimous → consensus; a ground-truth annotation decides disagreements → "
            "adjudicated; a strict majority → consensus with agreement=false; otherwise unresolved (no label).",
        ],
        "rai:dataAnnotationPlatform": ["Label Studio Community edition"],
        "rai:dataCollection": (
            "Sentences of news articles; each keeps its outlet (source), address (url), publication date "
            f"and offsets in the article. Text policy {text_policy}: {DESCRIPTIONS[text_policy]}. "
            "Redistribution of article text may be restricted by its publishers."),
        "rai:dataAnnotationAnalysis": [
            f"Krippendorff's alpha (nominal) event_type={_num(agreement.levels['event_type'].alpha)}, "
            f"sub_event_type={_num(agreement.levels['sub_event_type'].alpha)}, hierarchy-aware="
            f"{_num(agreement.hierarchy.alpha)}; Cohen's kappa per annotator pair in manifest.json."],
        "rai:machineAnnotationTools": sorted({
            f"conflictset {__version__} rule pre-labeller ({v})"
            for v in tables.sentences["prelabel_version"].drop_nulls().unique().to_list()}),
        "rai:dataLimitations": [
            "Coverage follows the collected news sources; never-reviewed sentences carry rule pre-labels."],
        "rai:personalSensitiveInformation": [
            "Sentences name people (victims, detainees, alleged perpetrators) as reported in the news."],
    }


def _num(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"
