"""Engines that run the build somewhere other than this process's threads.

The local engine is :func:`conflictset.dataset.build.build` itself. :mod:`.dask_engine` runs the
same unit of work (:func:`conflictset.dataset.batch.process_batch`) on a Dask cluster, one task
per shard of the input (:mod:`.shards`), with inputs and outputs on a shared filesystem or an
object store (:mod:`.storage`) and tables published as parts (:mod:`.outputs`).
"""
