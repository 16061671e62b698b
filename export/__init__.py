"""Label Studio round trip, Parquet release, reports."""
