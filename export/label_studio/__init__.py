"""Label Studio round trip: the local studio server, the labelling config, push and pull.

- :mod:`.server` installs/starts/stops the pinned server in ``.studio/``
- :mod:`.config` generates the labelling config from ``schemas/taxonomy.py``
- :mod:`.push` stage ``to_label_studio`` + ``push`` (idempotent, resumable)
- :mod:`.pull` stage ``from_label_studio`` + ``pull`` (annotations, tasks, quarantine)
"""
