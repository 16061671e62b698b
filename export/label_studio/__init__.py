"""Label Studio round trip: the local studio server, the labelling config, push and pull.

- :mod:`.server` installs/starts/stops the pinned server in ``.studio/``
- :mod:`.config` generates the labelling config from ``schemas/taxonomy.py``
- :mod:`.push` stage ``to_label_studio`` + ``push`` (idempotent, resumable)
- :mod:`.pull` stage ``from_label_studio`` + ``pull`` (annotations, tasks, quarantine)
"""

from __future__ import annotations

from pathlib import Path


def demo_push(build_dir: str | Path, project: str = "conflictset demo", *,
              root: Path | None = None) -> str:
    """Start the local studio (installing it on first use), push the build, return the review URL.

    Prints nothing; the caller says where to review and how to pull.
    """
    from conflictset.export.label_studio import server
    from conflictset.export.label_studio.client import StudioClient
    from conflictset.export.label_studio.credentials import load_or_create
    from conflictset.export.label_studio.push import push

    info = server.start(root)
    with StudioClient(info.url, load_or_create(root).token) as client:
        return push(build_dir, project, client=client).project_url
