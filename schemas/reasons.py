"""Stable reason codes for quarantined rows and validation failures.

Codes are part of the public contract: reports, quarantine tables and tests use them, so
never rename one — add a new code instead. Every module takes its codes from here.
"""

from enum import StrEnum


class Reason(StrEnum):
    # ingest: a record we could not read
    INVALID_UTF8 = "invalid_utf8"
    NUL_BYTES = "nul_bytes"
    BROKEN_JSON = "broken_json"
    BROKEN_CSV = "broken_csv"
    BROKEN_PARQUET = "broken_parquet"
    EMPTY_FILE = "empty_file"
    EMPTY_ARTICLE = "empty_article"
    MISSING_TEXT = "missing_text_column"
    WRONG_TYPE = "wrong_field_type"
    DUPLICATE_ID = "duplicate_article_id"
    UNREADABLE_FILE = "unreadable_file"
    UNSUPPORTED_FORMAT = "unsupported_format"
    SYMLINK_LOOP = "symlink_loop"
    TOO_LARGE = "too_large"
    # clean: nothing left after removing page debris
    NO_CONTENT_AFTER_CLEANING = "no_content_after_cleaning"
    # Label Studio export parsing
    UNKNOWN_LABEL = "unknown_label"
    WRONG_PARENT = "wrong_parent"
    SPAN_OUT_OF_RANGE = "span_out_of_range"
    SPAN_TEXT_MISMATCH = "span_text_mismatch"
    UNKNOWN_TASK = "unknown_task"
    FOREIGN_PROJECT = "foreign_project"
    MALFORMED_RESULT = "malformed_result"
    TRUNCATED_EXPORT = "truncated_export"
    # schema validation (pandera checks mapped to stable codes)
    MISSING_COLUMN = "missing_column"
    WRONG_DTYPE = "wrong_dtype"
    NULL_VALUE = "null_value"
    NOT_UNIQUE = "not_unique"
    NOT_IN_TAXONOMY = "not_in_taxonomy"
    HIERARCHY_MISMATCH = "hierarchy_mismatch"
    OUT_OF_RANGE = "out_of_range"
    BAD_OFFSETS = "bad_offsets"
    CHECK_FAILED = "check_failed"
    CHECKSUM_MISMATCH = "checksum_mismatch"
    MISSING_FILE = "missing_file"
    # release: codebook consistency and release-level validation (issue 5)
    DISORDER_MISMATCH = "disorder_mismatch"
    INTERACTION_MISMATCH = "interaction_mismatch"
    UNKNOWN_TABLE = "unknown_table"
    UNLISTED_FILE = "unlisted_file"
    ROW_COUNT_MISMATCH = "row_count_mismatch"
    BAD_MANIFEST = "bad_manifest"
    # Label Studio pull: tasks pushed but gone, the same sentence imported twice (issue 6)
    DELETED_TASK = "deleted_task"
    DUPLICATE_TASK = "duplicate_task"
