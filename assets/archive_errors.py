"""Archive faults as Dagster failures: named, and never retried.

The raw assets retry network trouble (a RetryPolicy with back-off). A missing, truncated or
altered archive file is not network trouble: reading it again a minute later gives the same bytes,
and a summary saying "Exceeded max_retries of 2" would hide which file is bad. The domain code
raises ArchiveFileError / ArchiveReplayError (warehouse/archive.py); the assets turn them into a
dg.Failure that names every bad file and is not retried.
"""

from collections.abc import Sequence

import dagster as dg

from warehouse.archive import ArchiveFileError, ArchiveReplayError

ARCHIVE_ERRORS = (ArchiveFileError, ArchiveReplayError)
# Metadata key listing bad archive files ({file, fetch_id, problem}): on the failure, and on the
# materialization of a `--skip-bad` rebuild (what `adrpulse rebuild` prints).
BAD_FILES_KEY = "archive_files_skipped"


def bad_files_metadata(errors: Sequence[ArchiveFileError]) -> dg.MetadataValue:
    return dg.MetadataValue.json([e.as_record() for e in errors])


def archive_failure(exc: ArchiveFileError | ArchiveReplayError) -> dg.Failure:
    errors = exc.errors if isinstance(exc, ArchiveReplayError) else [exc]
    return dg.Failure(
        description=str(exc),
        metadata={"bad_archive_files": bad_files_metadata(errors)},
        allow_retries=False,
    )
